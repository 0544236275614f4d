/**
 * Where agents and checks run. `none`: as the Switchyard user, in the worktree. `bubblewrap`:
 * the filesystem is read-only except the run's worktree, its private home and a private /tmp;
 * Switchyard's data directory (database, mirrors' other worktrees, logs), `.env` and the private
 * key are invisible; the process tree gets its own PID namespace and dies with Switchyard.
 * The network stays: agents call model APIs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

export type SandboxKind = 'none' | 'bubblewrap';

export interface SandboxSpec {
  kind: SandboxKind;
  /** Switchyard's data directory: hidden whole, then the run's own paths are let back in. */
  dataDir: string;
  /** Files that must never be readable, such as `.env` and the private key. */
  secretFiles: readonly string[];
}

export interface RunPaths {
  worktree: string;
  home: string;
  /** The bare mirror: read-only, for git's objects. */
  mirror: string;
  /** The worktree's administrative folder in the mirror (index, HEAD): writable. */
  worktreeGitDir: string;
}

/** The argv that runs `argv` inside the sandbox. */
export function sandboxed(spec: SandboxSpec, paths: RunPaths, argv: readonly string[]): string[] {
  if (spec.kind === 'none') return [...argv];
  const args = ['bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', spec.dataDir];
  args.push('--ro-bind', paths.mirror, paths.mirror);
  if (existsSync(paths.worktreeGitDir)) args.push('--bind', paths.worktreeGitDir, paths.worktreeGitDir);
  args.push('--bind', paths.worktree, paths.worktree, '--bind', paths.home, paths.home);
  for (const file of spec.secretFiles) if (existsSync(file)) args.push('--ro-bind', '/dev/null', file);
  args.push('--unshare-pid', '--die-with-parent', '--new-session', '--chdir', paths.worktree, '--', ...argv);
  return args;
}

export class SandboxUnavailableError extends Error {}

/** Refuses to start when bubblewrap is chosen but cannot run here, rather than running unsandboxed. */
export async function checkSandbox(kind: SandboxKind, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (kind === 'none') return;
  const probe = await execa('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--die-with-parent', 'true'], { reject: false, env, extendEnv: false });
  if (probe.exitCode !== 0) {
    const why = probe.failed && probe.exitCode === undefined ? 'bwrap is not installed (Debian: apt-get install bubblewrap)' : probe.stderr.trim() || `bwrap exited with ${String(probe.exitCode)}`;
    throw new SandboxUnavailableError(`SWITCHYARD_SANDBOX=bubblewrap, but the sandbox cannot start: ${why}. Switchyard will not run agents unsandboxed.`);
  }
}

/** The files a sandbox hides by default: the working directory's .env and the key file, if any. */
export function defaultSecretFiles(privateKeyPath: string | undefined): string[] {
  return [join(process.cwd(), '.env'), ...(privateKeyPath ? [privateKeyPath] : [])];
}
