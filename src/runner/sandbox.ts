/**
 * Where agents and checks run. `bubblewrap` (the default): a user namespace with every
 * capability dropped, its own PID, IPC and UTS namespaces, the filesystem read-only except the
 * run's worktree, its private home and a private /tmp; Switchyard's data directory (database,
 * mirrors, other runs' worktrees, logs), `.env`, the server config and the private key are
 * invisible, and so is every other process. When Switchyard runs as root, agents run as an
 * unprivileged account (`nobody` unless the operator names another), so root-only files stay
 * closed and no capability can be regained. `none`: as Switchyard's own user, with nothing
 * between the agent and Switchyard's secrets — an explicit operator choice.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { dirname, join, parse } from 'node:path';
import { execa } from 'execa';
import { mustRun, toolEnvironment } from './spawner.ts';

export type SandboxKind = 'none' | 'bubblewrap';

/**
 * `open`: the host's network; `none`: loopback only, inside the sandbox's own network namespace;
 * `{ allow }`: loopback only, plus Switchyard's egress proxy, which reaches only these hosts.
 */
export type AgentNetwork = 'open' | 'none' | { allow: string[] };

/** Where a run's egress proxy listens, and the bridge that lets the sandbox reach it. */
export interface Egress {
  socket: string;
  bridge: string;
}

export interface SandboxUser {
  uid: number;
  gid: number;
  name: string;
}

export interface SandboxSpec {
  kind: SandboxKind;
  /** Switchyard's data directory: hidden whole, then the run's own paths are let back in. */
  dataDir: string;
  /** Files that must never be readable, such as `.env`, the server config and the private key. */
  secretFiles: readonly string[];
  network?: AgentNetwork;
  /** The account agents run as, when Switchyard itself runs as root. */
  user?: SandboxUser | undefined;
  /** bubblewrap can forbid nested user namespaces (0.8 and later). */
  disableNestedUserns?: boolean;
}

export interface RunPaths {
  worktree: string;
  home: string;
  /** The bare mirror: read-only, for git's objects. */
  mirror: string;
  /** The worktree's administrative folder in the mirror (index, HEAD): writable. */
  worktreeGitDir: string;
}

/** Where the egress proxy's socket appears inside the sandbox. */
export const EGRESS_SOCKET = '/tmp/.switchyard-egress.sock';

/** The argv that runs `argv` inside the sandbox; with `egress`, behind the bridge to the run's proxy. */
export function sandboxed(
  spec: SandboxSpec,
  paths: RunPaths,
  argv: readonly string[],
  network: AgentNetwork = spec.network ?? 'open',
  egress?: Egress,
): string[] {
  if (spec.kind === 'none') return [...argv];
  const args = [
    'bwrap',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    '--tmpfs',
    spec.dataDir,
  ];
  args.push('--ro-bind', paths.mirror, paths.mirror);
  if (existsSync(paths.worktreeGitDir)) args.push('--bind', paths.worktreeGitDir, paths.worktreeGitDir);
  args.push('--bind', paths.worktree, paths.worktree, '--bind', paths.home, paths.home);
  if (typeof network === 'object' && egress) {
    // A socket path must stay short (108 bytes): inside, it sits in the sandbox's own /tmp.
    args.push('--bind', egress.socket, EGRESS_SOCKET);
    // The bridge runs on this Node.js, which may live where the sandbox covers (a clone under
    // /tmp with the registry's node package): the binary alone is put back, read-only.
    args.push('--ro-bind', process.execPath, process.execPath);
  }
  for (const file of spec.secretFiles) {
    if (!existsSync(file)) continue;
    // An account that cannot reach the file cannot read it either, nor could bwrap cover it.
    if (spec.user && !reachableByOthers(file)) continue;
    args.push('--ro-bind', '/dev/null', file);
  }
  args.push(
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    'switchyard-sandbox',
  );
  if (network !== 'open') args.push('--unshare-net');
  args.push('--cap-drop', 'ALL');
  if (spec.disableNestedUserns) args.push('--disable-userns');
  args.push('--die-with-parent', '--new-session', '--chdir', paths.worktree, '--');
  if (typeof network === 'object' && egress) args.push(process.execPath, egress.bridge, EGRESS_SOCKET);
  args.push(...argv);
  return args;
}

/**
 * Hands the run's writable paths to the sandbox account (when agents run as another account)
 * and lets it reach them through the data directory, without letting it list anything there.
 */
export async function grantPaths(spec: SandboxSpec, paths: RunPaths): Promise<void> {
  if (spec.kind === 'none' || !spec.user) return;
  await handOver(spec, [paths.worktree, paths.home, paths.worktreeGitDir]);
  for (const path of [paths.worktree, paths.home, paths.mirror]) {
    for (let dir = dirname(path); dir.startsWith(spec.dataDir) && dir !== dirname(spec.dataDir); dir = dirname(dir)) {
      const mode = statSync(dir).mode & 0o777;
      if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001);
    }
  }
}

/**
 * Makes `paths` (recursively) the sandbox account's, where agents run as one: files Switchyard
 * wrote for the agent to use. Only what is not the account's yet is changed: a chown updates a
 * file's ctime even when the owner stays the same, and a pooled worktree's untouched files
 * keep theirs, so git's stat check (and the kept index) still holds for them. Links are changed
 * themselves, never followed.
 */
export async function handOver(spec: SandboxSpec, paths: readonly string[]): Promise<void> {
  if (spec.kind === 'none' || !spec.user) return;
  const existing = paths.filter((path) => existsSync(path));
  if (existing.length === 0) return;
  const { uid, gid } = spec.user;
  const args = [
    // Absolute paths Switchyard made: never read as an option of find's.
    ...existing,
    '(',
    '!',
    '-uid',
    String(uid),
    '-o',
    '!',
    '-gid',
    String(gid),
    ')',
    '-exec',
    'chown',
    '-h',
    `${uid}:${gid}`,
    '{}',
    '+',
  ];
  await mustRun('find', args, { env: toolEnvironment() });
}

/** Every folder on the way is searchable and the file readable for an account that owns none of them. */
function reachableByOthers(path: string): boolean {
  try {
    if ((statSync(path).mode & 0o004) === 0) return false;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === parse(dir).root) return true;
    }
  } catch {
    return false;
  }
}

export class SandboxUnavailableError extends Error {}

export interface SandboxCheck {
  user: SandboxUser | undefined;
  disableNestedUserns: boolean;
}

/**
 * Refuses to start when the sandbox is chosen but cannot hold here, rather than running agents
 * unsandboxed: bubblewrap must start a user namespace with every capability dropped, as the
 * account agents will run as, and that account must reach the data directory.
 */
export async function checkSandbox(
  kind: SandboxKind,
  options: { userName?: string | undefined; dataDir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<SandboxCheck> {
  if (kind === 'none') return { user: undefined, disableNestedUserns: false };
  const env = options.env ?? process.env;
  const user = process.getuid?.() === 0 ? lookUpUser(options.userName ?? 'nobody') : undefined;
  const fail = (why: string) =>
    new SandboxUnavailableError(
      `SWITCHYARD_SANDBOX=bubblewrap (the default), but the sandbox cannot hold here: ${why}. Switchyard will not run agents unsandboxed unless you choose it with SWITCHYARD_SANDBOX=none.`,
    );
  const help = await execa('bwrap', ['--help'], { reject: false, env, extendEnv: false });
  if (help.failed && help.exitCode === undefined)
    throw fail('bwrap is not installed (Debian: apt-get install bubblewrap)');
  const disableNestedUserns = help.stdout.includes('--disable-userns');
  const probeArgs = [
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--unshare-user',
    '--unshare-pid',
    '--cap-drop',
    'ALL',
    ...(disableNestedUserns ? ['--disable-userns'] : []),
    '--die-with-parent',
    'sh',
    '-c',
    'grep CapEff /proc/self/status',
  ];
  const probe = await execa('bwrap', probeArgs, {
    reject: false,
    env,
    extendEnv: false,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  if (probe.exitCode !== 0) throw fail(probe.stderr.trim() || `bwrap exited with ${String(probe.exitCode)}`);
  if (!/CapEff:\s*0+\s*$/m.test(probe.stdout))
    throw fail(`the sandboxed process kept capabilities (${probe.stdout.trim()})`);
  if (user && options.dataDir) {
    for (let dir = dirname(options.dataDir); ; dir = dirname(dir)) {
      if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0)
        throw fail(
          `agents run as ${user.name}, who cannot reach SWITCHYARD_DATA_DIR through ${dir}; move the data directory or make ${dir} searchable (chmod o+x)`,
        );
      if (dir === parse(dir).root) break;
    }
  }
  return { user, disableNestedUserns };
}

/** An account by name or `uid:gid`, from /etc/passwd. */
export function lookUpUser(name: string): SandboxUser {
  const numeric = /^(\d+)(?::(\d+))?$/.exec(name);
  if (numeric) return { uid: Number(numeric[1]), gid: Number(numeric[2] ?? numeric[1]), name };
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.split(':')[0] === name);
  const fields = line?.split(':');
  if (!fields || fields.length < 4)
    throw new SandboxUnavailableError(`SWITCHYARD_SANDBOX_USER: there is no account ${name} in /etc/passwd`);
  const uid = Number(fields[2]);
  if (uid === 0) throw new SandboxUnavailableError('SWITCHYARD_SANDBOX_USER: agents never run as root');
  return { uid, gid: Number(fields[3]), name };
}

/** The files a sandbox hides by default: the working directory's .env, the key file and the server config, if any. */
export function defaultSecretFiles(privateKeyPath: string | undefined, serverConfig?: string): string[] {
  return [
    join(process.cwd(), '.env'),
    ...(privateKeyPath ? [privateKeyPath] : []),
    ...(serverConfig ? [serverConfig] : []),
  ];
}
