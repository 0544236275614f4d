/**
 * Stall detection: an agent that prints nothing and changes no file for `stallMs` is stuck (a
 * prompt nobody answers, a hung network call). Output resets the clock; before calling a stall,
 * the worktree is searched for a file changed since the last sign of life (`find -newermt`,
 * which stops at the first), so an agent that works quietly is left alone.
 */
import { runCommand, toolEnvironment } from './spawner.ts';

export class StallWatch {
  #last = Date.now();
  readonly #timer: NodeJS.Timeout;
  #checking = false;

  constructor(dir: string, stallMs: number, onStall: () => void) {
    const every = Math.min(Math.max(Math.floor(stallMs / 4), 100), 30_000);
    this.#timer = setInterval(() => {
      if (this.#checking || Date.now() - this.#last < stallMs) return;
      this.#checking = true;
      void changedSince(dir, this.#last)
        .then((changed) => {
          if (changed) this.#last = Date.now();
          else {
            this.stop();
            onStall();
          }
        })
        .catch(() => undefined)
        .finally(() => (this.#checking = false));
    }, every);
    this.#timer.unref();
  }

  /** The agent showed a sign of life. */
  touch(): void {
    this.#last = Date.now();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Whether a file under `dir` (but `.git`) changed after `since` (ms). */
async function changedSince(dir: string, since: number): Promise<boolean> {
  const result = await runCommand(
    'find',
    [dir, '-path', `${dir}/.git`, '-prune', '-o', '-newermt', `@${(since / 1000).toFixed(3)}`, '-print', '-quit'],
    { env: toolEnvironment() },
  );
  return result.stdout.trim() !== '';
}
