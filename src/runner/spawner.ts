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
import { runToEnd } from './spawner-run.ts';

export interface SpawnRequest {
  id: number;
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string | undefined;
}

export interface SpawnReply {
  id: number;
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Why the command could not start (`spawn git ENOENT`). */
  failure: string | undefined;
}

export interface CommandResult {
  /** `undefined` when the command could not start or was killed by a signal. */
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  failure: string | undefined;
}

export interface CommandOptions {
  /** The command's whole environment: nothing of this process's is added. */
  env: Record<string, string>;
  cwd?: string | undefined;
}

const CHILD = new URL('./spawner-child.ts', import.meta.url);

let helper: { process: ChildProcess; pending: Map<number, (reply: SpawnReply) => void> } | undefined;
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
  const request: SpawnRequest = { id: nextId++, file, args: [...args], env: options.env, cwd: options.cwd };
  const reply = (await viaHelper(request)) ?? (await runToEnd(request));
  const text = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return {
    exitCode: reply.exitCode,
    signal: reply.signal,
    stdout: text(reply.stdout),
    stderr: text(reply.stderr),
    failure: reply.failure,
  };
}

/** The helper's answer, or `undefined` when there is no helper to ask. */
function viaHelper(request: SpawnRequest): Promise<SpawnReply> | undefined {
  const current = helper ?? startHelper();
  if (!current) return undefined;
  return new Promise((resolve) => {
    current.pending.set(request.id, resolve);
    if (current.pending.size === 1) ref(current.process, true);
    current.process.send(request);
  });
}

function startHelper(): typeof helper {
  if (unavailable) return undefined;
  let child: ChildProcess;
  try {
    child = fork(CHILD, [], {
      // Nothing of this process's environment: the helper passes each command its own.
      env: toolEnvironment(),
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
  } catch {
    unavailable = true;
    return undefined;
  }
  const started = { process: child, pending: new Map<number, (reply: SpawnReply) => void>() };
  child.on('message', (reply: SpawnReply) => {
    const resolve = started.pending.get(reply.id);
    started.pending.delete(reply.id);
    if (started.pending.size === 0) ref(child, false);
    resolve?.(reply);
  });
  const gone = (why: string) => {
    if (helper === started) helper = undefined;
    // A command it was running may have done its work: never started again, it fails as a command does.
    for (const [id, resolve] of started.pending)
      resolve({
        id,
        exitCode: undefined,
        signal: undefined,
        stdout: new Uint8Array(),
        stderr: new Uint8Array(),
        failure: why,
      });
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

/** The environment of a tool that needs none of Switchyard's (cp, du, find): a search path. */
export function toolEnvironment(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LANG: 'C' };
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

/** Stops the helper (a process that ends on its own need not call this). */
export function stopSpawner(): void {
  helper?.process.kill();
  helper = undefined;
}
