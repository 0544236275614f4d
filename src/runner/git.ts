/**
 * git for the runner, from the trusted side only. An agent controls its worktree, including
 * `.git` and whatever that points to, so Switchyard never lets git discover a repository from a
 * worktree. Every call names its git directory (the mirror, or a worktree's administrative
 * folder with the mirror as its common directory), reads no global or system config, runs no
 * hook and no fsmonitor, speaks only HTTP(S), and asks no credential helper. The installation
 * token reaches git as an HTTP header through `GIT_CONFIG_*` variables of that git process
 * only: never on a command line, in a remote URL, in a config file, or in an agent's environment.
 */
import { availableParallelism } from 'node:os';
import { simpleGit, type SimpleGit } from 'simple-git';

export interface GitIdentity {
  name: string;
  email: string;
}

export interface TrustedGitOptions {
  /** The git directory: the mirror, or a worktree's administrative folder inside it. */
  gitDir: string;
  /** The mirror, when `gitDir` is a worktree's administrative folder: its config and objects. */
  commonDir?: string;
  /** The files to read or write; never searched for a `.git` of their own. */
  workTree?: string;
  /** An index of Switchyard's own, outside anything an agent can reach. */
  indexFile?: string;
  /** For fetch and push. */
  token?: string;
  /** Author and committer of the commits made. */
  identity?: GitIdentity;
}

/**
 * Settings that win over any repository config git reads: no hooks, no fsmonitor, no ssh
 * command, no credential helper, no protocol but HTTP(S), and no ownership refusal (the
 * directories are named explicitly, never discovered).
 */
export const TRUSTED_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['core.untrackedCache', 'false'],
  // A kept index is trusted for its stat data: the ctime and inode an agent cannot forge are compared.
  ['core.trustctime', 'true'],
  ['core.checkStat', 'default'],
  ['core.sshCommand', 'false'],
  ['core.askPass', 'false'],
  ['credential.helper', ''],
  ['protocol.allow', 'never'],
  ['protocol.https.allow', 'always'],
  ['protocol.http.allow', 'always'],
  ['safe.directory', '*'],
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
  // A checkout writes its files from several processes: on a disk where each new file waits on
  // the device (a cloud VM's), one writer takes ~1 ms a file; four take a tenth of the time.
  ['checkout.workers', String(Math.max(4, availableParallelism()))],
];

const CONFIG_SLOTS = TRUSTED_CONFIG.length + 1;
const ALLOWED = [
  'GIT_DIR',
  'GIT_COMMON_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_CONFIG_COUNT',
  ...Array.from({ length: CONFIG_SLOTS }, (_, i) => [`GIT_CONFIG_KEY_${i}`, `GIT_CONFIG_VALUE_${i}`]).flat(),
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_TERMINAL_PROMPT',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
];

/** The variables that make git send `Authorization: Basic x-access-token:<token>`. */
export function authorizationHeader(token: string): string {
  return `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

/** The environment of one trusted git process. */
export function trustedEnvironment(options: TrustedGitOptions): Record<string, string> {
  const config: Array<readonly [string, string]> = [...TRUSTED_CONFIG];
  if (options.token) config.push(['http.extraHeader', authorizationHeader(options.token)]);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_DIR: options.gitDir,
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  if (options.commonDir) env.GIT_COMMON_DIR = options.commonDir;
  if (options.workTree) env.GIT_WORK_TREE = options.workTree;
  if (options.indexFile) env.GIT_INDEX_FILE = options.indexFile;
  if (options.identity) {
    env.GIT_AUTHOR_NAME = options.identity.name;
    env.GIT_AUTHOR_EMAIL = options.identity.email;
    env.GIT_COMMITTER_NAME = options.identity.name;
    env.GIT_COMMITTER_EMAIL = options.identity.email;
  }
  return env;
}

/** A simple-git client for one trusted git directory. */
export function trustedGit(options: TrustedGitOptions): SimpleGit {
  // simple-git guards against settings that run programs or change paths. Ours are the ones that
  // switch those off (hooks, fsmonitor, askpass, helpers, ssh, protocols) and the config paths
  // that keep global and system config out; none is ever built from issue or agent text.
  const unsafe = {
    allowUnsafeConfigEnvCount: true,
    allowUnsafeConfigPaths: true,
    allowUnsafeHooksPath: true,
    allowUnsafeFsMonitor: true,
    allowUnsafeAskPass: true,
    allowUnsafeCredentialHelper: true,
    allowUnsafeSshCommand: true,
    allowUnsafeProtocolOverride: true,
  };
  return simpleGit({
    baseDir: options.workTree ?? options.gitDir,
    allowEnvironment: ALLOWED,
    maxConcurrentProcesses: 8,
    unsafe,
  }).env(trustedEnvironment(options));
}
