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
import { runGit } from './spawner.ts';

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

/** git on one trusted git directory. */
export interface TrustedGit {
  /** Runs git with `args` through simple-git's `raw`, and resolves its output or fails as simple-git does. */
  raw(args: readonly string[]): Promise<string>;
}

/**
 * A git client for one trusted git directory. Its commands start from the spawner's helper
 * process: from the main process, each would stall the event loop for the fork (see spawner.ts).
 */
export function trustedGit(options: TrustedGitOptions): TrustedGit {
  const env = trustedEnvironment(options);
  const cwd = options.workTree ?? options.gitDir;
  return { raw: (args) => runGit(args, { env, cwd }) };
}
