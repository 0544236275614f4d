/**
 * Agent and check processes: an argument array (never a shell string), a working directory, an
 * explicit environment, a timeout that ends the whole process tree (SIGTERM, then SIGKILL), and
 * the tail of the combined output.
 */
import { execa } from 'execa';
import { StallWatch } from './stall.ts';

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
  /**
   * Ends the process tree at once, with no grace: a reached budget allows no further model call
   * (some agents finish their current step on SIGTERM, or ignore it while a tool runs).
   */
  killNow?: AbortSignal;
  /** Called with each chunk of standard output alone: where an agent reports what it did. */
  onStdout?: (text: string) => void;
  /** Called with the process id once it runs (it leads its own process group). */
  onSpawn?: (pid: number) => void;
  /** A file given as standard input (otherwise stdin is closed). */
  stdinFile?: string | undefined;
  /** The account the process runs as (Switchyard runs as root; agents never do). */
  user?: { uid: number; gid: number } | undefined;
  /** No output and no file changed under `cwd` for this long ends the process as stalled. */
  stallMs?: number | undefined;
  /** The newest non-empty line of output, at most once per `PROGRESS_EVERY_MS`. */
  onProgress?: ((line: string) => void) | undefined;
}

export interface ProcessResult {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  /** Ended for printing nothing and changing no file for `stallMs`. */
  stalled: boolean;
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

/** Terminal colour and cursor codes (ESC [ … letter). */
const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

/** How often the newest line of output is passed on as progress, at most. */
const PROGRESS_EVERY_MS = 2_000;

/** The newest non-empty line of output, handed on at most every `PROGRESS_EVERY_MS`. */
class Progress {
  #line = '';
  #sent = '';
  #partial = '';
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(onProgress: ((line: string) => void) | undefined) {
    if (!onProgress) return;
    this.#timer = setInterval(() => {
      if (this.#line && this.#line !== this.#sent) onProgress((this.#sent = this.#line));
    }, PROGRESS_EVERY_MS);
    this.#timer.unref();
  }

  push(chunk: string): void {
    if (!this.#timer) return;
    // Colour codes and carriage-return redraws are for terminals; the last line is what is shown.
    const text = (this.#partial + chunk).replace(ANSI_ESCAPE, '');
    const lines = text.split(/\r?\n|\r/);
    this.#partial = (lines.pop() ?? '').slice(-1_000);
    const complete = lines.map((line) => line.trim()).filter(Boolean);
    const newest = complete[complete.length - 1] ?? this.#partial.trim();
    if (newest) this.#line = newest.slice(0, 300);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}

export async function runProcess(argv: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty command');
  const tail = new Tail();
  // Large enough for a JSON result (Claude Code's) with its final message.
  const stdoutTail = new Tail(64 * 1024);
  const started = performance.now();
  const stall = new AbortController();
  const watch = options.stallMs
    ? new StallWatch(options.cwd, options.stallMs, () => stall.abort(new Error('stalled')))
    : undefined;
  const cancelSignal = options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal;
  const progress = new Progress(options.onProgress);
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
    cancelSignal,
  });
  if (subprocess.pid !== undefined) options.onSpawn?.(subprocess.pid);
  options.killNow?.addEventListener('abort', () => subprocess.kill('SIGKILL'), { once: true });
  subprocess.all?.setEncoding('utf8');
  subprocess.all?.on('data', (chunk: string) => {
    tail.push(chunk);
    watch?.touch();
    progress.push(chunk);
    options.onOutput?.(chunk);
  });
  subprocess.stdout?.setEncoding('utf8');
  subprocess.stdout?.on('data', (chunk: string) => {
    stdoutTail.push(chunk);
    options.onStdout?.(chunk);
  });
  const result = await subprocess.finally(() => {
    watch?.stop();
    progress.stop();
  });
  const stalled = stall.signal.aborted && !options.signal?.aborted;
  const startError =
    result.failed && result.exitCode === undefined && !result.isTerminated ? result.shortMessage : undefined;
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    stalled,
    cancelled: result.isCanceled && !stalled,
    startError,
    durationMs: performance.now() - started,
    outputTail: tail.toString(),
    stdoutTail: stdoutTail.toString(),
  };
}
