/**
 * git for the runner: simple-git with a clean environment. The installation token reaches git
 * as an HTTP header through `GIT_CONFIG_*` variables of the git process only: never on a command
 * line, in a remote URL, in a config file, or in an agent's environment.
 */
import { simpleGit, type SimpleGit } from 'simple-git';

const ALLOWED = ['GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0', 'GIT_TERMINAL_PROMPT', 'GIT_CONFIG_NOSYSTEM', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL'];

export interface GitIdentity {
  name: string;
  email: string;
}

function baseEnvironment(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
  };
}

/** The variables that make git send `Authorization: Basic x-access-token:<token>`. */
export function tokenEnvironment(token: string): Record<string, string> {
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
}

export function identityEnvironment(identity: GitIdentity): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
}

/** A simple-git client in `dir`, with `extra` variables on top of a minimal environment. */
export function gitIn(dir: string, extra: Record<string, string> = {}): SimpleGit {
  // The GIT_CONFIG_* variables are ours (the token header), never built from issue text.
  return simpleGit({ baseDir: dir, allowEnvironment: ALLOWED, maxConcurrentProcesses: 8, unsafe: { allowUnsafeConfigEnvCount: true } }).env({ ...baseEnvironment(), ...extra });
}
