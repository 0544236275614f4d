/**
 * Agent and check processes: an argument array (never a shell string), a working directory, an
 * explicit environment, a timeout that ends the whole process tree (SIGTERM, then SIGKILL), and
 * the tail of the combined output.
 */
import { execa } from 'execa';
import type { LimitHit, ResourceLimits } from '../domain/limits.ts';
import { RunCgroup, rlimitArgv, type CgroupSupport } from './limits.ts';
import { WorktreeGrowth } from './worktree-growth.ts';
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
  /** Memory, processes and CPU (in a cgroup named `name`, where `support` allows one), output, and the growth of `cwd`. */
  limits?: { values: ResourceLimits; support: CgroupSupport; name: string } | undefined;
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
  /** The limit that stopped the process, when one did. */
  limit?: LimitHit | undefined;
}

const TAIL_BYTES = 64 * 1024;

/**
 * Keeps the last `limit` bytes written to it, in one buffer allocated up front: whatever an agent
 * prints, nothing of it outlives its chunk but these bytes (strings kept across chunks would be
 * promoted to the old heap and grow Switchyard's memory with the flood).
 */
export class Tail {
  readonly #ring: Buffer;
  #end = 0;
  /** Where the older bytes end: a character that did not fit before the wrap leaves a gap. */
  #olderEnd = 0;
  #wrapped = false;

  constructor(limit = TAIL_BYTES) {
    this.#ring = Buffer.alloc(limit);
  }

  push(text: string): void {
    const size = this.#ring.length;
    // Only the last `size` bytes can matter; cut in characters first so the write stays bounded.
    if (text.length > size) text = text.slice(-size);
    let rest = text;
    while (rest) {
      const written = this.#ring.write(rest, this.#end, 'utf8');
      this.#end += written;
      if (written === Buffer.byteLength(rest)) break;
      // What did not fit starts again at the front.
      rest = Buffer.from(rest, 'utf8').subarray(written).toString('utf8');
      this.#olderEnd = this.#end;
      this.#end = 0;
      this.#wrapped = true;
    }
  }

  toString(): string {
    const bytes = this.#wrapped
      ? Buffer.concat([
          this.#ring.subarray(this.#end, Math.max(this.#end, this.#olderEnd)),
          this.#ring.subarray(0, this.#end),
        ])
      : this.#ring.subarray(0, this.#end);
    // A character cut at the start of the window is dropped, not shown as a replacement mark.
    let start = 0;
    while (this.#wrapped && start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
    return bytes.subarray(start).toString('utf8');
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

/** How often a running process's cgroup is read for a limit it went past. */
const LIMIT_POLL_MS = 250;
/** The first part of the output kept when it is cut: what the agent said it would do. */
const HEAD_BYTES = 16 * 1024;

export async function runProcess(argv: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const limits = options.limits;
  const cgroup = limits ? await RunCgroup.create(limits.support, limits.name, limits.values) : undefined;
  try {
    const limited = cgroup
      ? cgroup.wrap(argv, options.user)
      : limits
        ? rlimitArgv(limits.support, argv, limits.values)
        : argv;
    return await runLimited(limited, { ...options, cgroup });
  } finally {
    await cgroup?.remove();
  }
}

async function runLimited(
  argv: readonly string[],
  options: ProcessOptions & { cgroup: RunCgroup | undefined },
): Promise<ProcessResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty command');
  const tail = new Tail();
  let head = '';
  let printed = 0;
  let limit: LimitHit | undefined;
  const outputLimit = options.limits?.values.outputBytes ?? Infinity;
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
    // In a cgroup, the wrapper joins it as root and then becomes the account itself.
    ...(options.user && !options.cgroup ? { uid: options.user.uid, gid: options.user.gid } : {}),
    forceKillAfterDelay: options.graceMs ?? 5_000,
    cancelSignal,
  });
  if (subprocess.pid !== undefined) options.onSpawn?.(subprocess.pid);
  options.killNow?.addEventListener('abort', () => subprocess.kill('SIGKILL'), { once: true });
  const stopAt = (hit: LimitHit) => {
    if (limit) return;
    limit = hit;
    subprocess.kill('SIGKILL');
    void options.cgroup?.killAll();
  };
  const pid = subprocess.pid;
  const poll = options.cgroup
    ? setInterval(() => {
        void options.cgroup?.exceeded().then((hit) => hit && stopAt(hit));
        // What it started outside its process group would hold its output open: the tree ends with it.
        if (pid !== undefined && !isRunning(pid)) void options.cgroup?.killAll();
      }, LIMIT_POLL_MS)
    : undefined;
  const growth =
    options.limits && Number.isFinite(options.limits.values.worktreeBytes)
      ? new WorktreeGrowth(options.cwd, options.limits.values.worktreeBytes, () => stopAt('worktree'))
      : undefined;
  subprocess.all?.setEncoding('utf8');
  subprocess.all?.on('data', (chunk: string) => {
    printed += Buffer.byteLength(chunk);
    if (head.length < HEAD_BYTES) head += chunk.slice(0, HEAD_BYTES - head.length);
    if (printed > outputLimit) return stopAt('output');
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
    growth?.stop();
    progress.stop();
    if (poll) clearInterval(poll);
  });
  // The kernel may have killed the agent itself for its memory.
  if (!limit && options.cgroup) limit = await options.cgroup.exceeded();
  const kept = tail.toString();
  const dropped = printed - Buffer.byteLength(head) - Buffer.byteLength(kept);
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
    outputTail: dropped > 0 ? `${head}\n… ${dropped} bytes of output left out …\n${kept}` : kept,
    stdoutTail: stdoutTail.toString(),
    limit,
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
