/**
 * Agent and check processes: an argument array (never a shell string), a working directory, an
 * explicit environment, a timeout that ends the whole process tree (SIGTERM, then SIGKILL), and
 * the tail of the combined output.
 */
import { execa } from 'execa';

export interface ProcessOptions {
  cwd: string;
  /** The complete environment; nothing of Switchyard's own is inherited. */
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** How long SIGTERM is given before SIGKILL. */
  graceMs?: number;
  /** Called with each chunk of output, already decoded. */
  onOutput?: (text: string) => void;
  /** Called with the process id once it runs (it leads its own process group). */
  onSpawn?: (pid: number) => void;
  /** A file given as standard input (otherwise stdin is closed). */
  stdinFile?: string | undefined;
  /** The account the process runs as (Switchyard runs as root; agents never do). */
  user?: { uid: number; gid: number } | undefined;
}

export interface ProcessResult {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  cancelled: boolean;
  /** Set when the executable could not be started at all. */
  startError: string | undefined;
  durationMs: number;
  /** The last part of stdout and stderr, interleaved as written. */
  outputTail: string;
  /** The last part of stdout alone: where most agents print their final message. */
  stdoutTail: string;
}

const TAIL_BYTES = 64 * 1024;

/** Keeps the last `limit` characters written to it. */
export class Tail {
  #text = '';
  readonly #limit: number;

  constructor(limit = TAIL_BYTES) {
    this.#limit = limit;
  }

  push(text: string): void {
    this.#text += text;
    if (this.#text.length > this.#limit * 2) this.#text = this.#text.slice(-this.#limit);
  }

  toString(): string {
    return this.#text.slice(-this.#limit);
  }
}

export async function runProcess(argv: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty command');
  const tail = new Tail();
  const stdoutTail = new Tail(16 * 1024);
  const started = performance.now();
  const subprocess = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    ...(options.stdinFile ? { inputFile: options.stdinFile } : { stdin: 'ignore' as const }),
    all: true,
    buffer: false,
    reject: false,
    timeout: options.timeoutMs,
    killDescendants: true,
    // Not killed by execa when Switchyard gets a signal: a graceful shutdown gives running agents
    // their grace period and then ends them itself; after a crash, start-up kills orphans.
    cleanup: false,
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    forceKillAfterDelay: options.graceMs ?? 5_000,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  if (subprocess.pid !== undefined) options.onSpawn?.(subprocess.pid);
  subprocess.all?.setEncoding('utf8');
  subprocess.all?.on('data', (chunk: string) => {
    tail.push(chunk);
    options.onOutput?.(chunk);
  });
  subprocess.stdout?.setEncoding('utf8');
  subprocess.stdout?.on('data', (chunk: string) => stdoutTail.push(chunk));
  const result = await subprocess;
  const startError = result.failed && result.exitCode === undefined && !result.isTerminated ? result.shortMessage : undefined;
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    cancelled: result.isCanceled,
    startError,
    durationMs: performance.now() - started,
    outputTail: tail.toString(),
    stdoutTail: stdoutTail.toString(),
  };
}
