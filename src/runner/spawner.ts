/**
 * Short commands (git, cp, du, find) started from a small helper process instead of this one.
 * Node forks the whole process to start a command, and a fork copies the page tables of all the
 * memory it holds: with PGlite embedded (600 MB and more) each start blocks the event loop for
 * 20–40 ms, and a run starts dozens. Forked once, the helper starts each command in a few
 * milliseconds, off the main thread. Where the helper cannot start, commands start here.
 *
 * The helper is given no environment of its own (no credentials): each command brings the one
 * its caller built, as before.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { carryOut } from './spawner-run.ts';

export type SpawnRequest =
  | { id: number; kind: 'command'; file: string; args: string[]; env: Record<string, string>; cwd: string | undefined }
  /** `git` through simple-git's `raw`, in `cwd`. */
  | { id: number; kind: 'git'; args: string[]; env: Record<string, string>; cwd: string };

export type SpawnReply =
  | ({ id: number; kind: 'command' } & CommandResult)
  | { id: number; kind: 'git'; stdout: string; error?: undefined }
  | { id: number; kind: 'git'; error: string };

export interface CommandResult {
  /** `undefined` when the command could not start or was killed by a signal. */
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  /** Why the command could not start (`spawn git ENOENT`), or the helper went away under it. */
  failure: string | undefined;
}

export interface CommandOptions {
  /** The command's whole environment: nothing of this process's is added. */
  env: Record<string, string>;
  cwd?: string | undefined;
}

const CHILD = new URL('./spawner-child.ts', import.meta.url);

interface Helper {
  process: ChildProcess;
  pending: Map<number, (reply: SpawnReply | { lost: string }) => void>;
}

let helper: Helper | undefined;
let unavailable = false;
let nextId = 1;

/**
 * Runs `file` with `args` to its end and returns its output (a command that fails is not an
 * error here: the caller reads its exit code).
 */
export async function runCommand(
  file: string,
  args: readonly string[],
  options: CommandOptions,
): Promise<CommandResult> {
  const reply = await ask({ id: nextId++, kind: 'command', file, args: [...args], env: options.env, cwd: options.cwd });
  if ('lost' in reply) return { exitCode: undefined, signal: undefined, stdout: '', stderr: '', failure: reply.lost };
  if (reply.kind !== 'command') throw new Error('the spawner answered a command as git');
  const { exitCode, signal, stdout, stderr, failure } = reply;
  return { exitCode, signal, stdout, stderr, failure };
}

/** simple-git's `raw(args)` in `cwd` with exactly `env`: its output, or its error. */
export async function runGit(args: readonly string[], options: Required<CommandOptions>): Promise<string> {
  const reply = await ask({ id: nextId++, kind: 'git', args: [...args], env: options.env, cwd: options.cwd });
  if ('lost' in reply) throw new Error(reply.lost);
  if (reply.kind !== 'git') throw new Error('the spawner answered git as a command');
  if (reply.error !== undefined) throw new Error(reply.error);
  return reply.stdout;
}

/** {@link runCommand} for a command that must succeed: it rejects with what the command said. */
export async function mustRun(file: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
  const result = await runCommand(file, args, options);
  if (result.exitCode !== 0)
    throw new Error(
      `${file} failed: ${result.stderr.trim() || result.failure || `exit ${String(result.exitCode ?? result.signal)}`}`,
    );
  return result;
}

/** The environment of a tool that needs none of Switchyard's (cp, du, find): a search path. */
export function toolEnvironment(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LANG: 'C' };
}

/**
 * Starts the helper now rather than on the first command: a worker calls this when it starts, so
 * that the first run of a batch, and every run waiting behind it for the repository's lock, does
 * not wait for a Node process to boot (400–500 ms here).
 */
export function warmSpawner(): void {
  if (!helper) startHelper();
}

/** The helper's answer; `lost` when it went away before answering (what it ran may have done its work). */
function ask(request: SpawnRequest): Promise<SpawnReply | { lost: string }> {
  const current = helper ?? startHelper();
  if (!current) return carryOut(request);
  return new Promise((resolve) => {
    current.pending.set(request.id, resolve);
    if (current.pending.size === 1) ref(current.process, true);
    current.process.send(request);
  });
}

function startHelper(): Helper | undefined {
  if (unavailable) return undefined;
  let child: ChildProcess;
  try {
    child = fork(CHILD, [], {
      // Nothing of this process's environment: the helper passes each command its own.
      env: toolEnvironment(),
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
  } catch {
    unavailable = true;
    return undefined;
  }
  const started: Helper = { process: child, pending: new Map() };
  child.on('message', (reply: SpawnReply) => {
    const resolve = started.pending.get(reply.id);
    started.pending.delete(reply.id);
    if (started.pending.size === 0) ref(child, false);
    resolve?.(reply);
  });
  const gone = (why: string) => {
    if (helper === started) helper = undefined;
    // Never started again: a command it was running may have done its work.
    for (const resolve of started.pending.values()) resolve({ lost: why });
    started.pending.clear();
  };
  child.on('error', (error) => gone(`the spawner failed: ${error.message}`));
  child.on('exit', (code, signal) => gone(`the spawner exited (${signal ?? String(code)})`));
  ref(child, false);
  helper = started;
  return started;
}

/** The helper keeps this process alive only while a command is under way. */
function ref(child: ChildProcess, on: boolean): void {
  const channel = child.channel as { ref(): void; unref(): void } | null | undefined;
  if (on) {
    child.ref();
    channel?.ref();
  } else {
    child.unref();
    channel?.unref();
  }
}

/** Stops the helper (a process that ends on its own need not call this). */
export function stopSpawner(): void {
  helper?.process.kill();
  helper = undefined;
}
