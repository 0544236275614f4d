/**
 * The worktree limit: a worktree's growth on disk while its process runs, measured with `du`
 * from the size it had at the start (a large repository is not its agent's doing).
 */
import { runCommand, toolEnvironment } from './spawner.ts';

/** How often a worktree's size on disk is measured while its process runs. */
const WORKTREE_POLL_MS = 2_000;

/** The blocks a folder takes on disk (not following links, not leaving its file system). */
async function diskUsage(dir: string): Promise<number | undefined> {
  const result = await runCommand('du', ['-s', '-x', '-B1', dir], { env: toolEnvironment() });
  const used = Number(/^(\d+)/.exec(result.stdout)?.[1]);
  return Number.isFinite(used) ? used : undefined;
}

/**
 * Watches a worktree's growth on disk from the size it had when its process started: past
 * `maxGrowth` bytes, `onExceeded` is called once. The first measure is the baseline, so a large
 * repository is not counted against its agent.
 */
export class WorktreeGrowth {
  readonly #timer: NodeJS.Timeout;
  #baseline: Promise<number | undefined>;
  #measuring = false;
  #stopped = false;

  constructor(dir: string, maxGrowth: number, onExceeded: () => void) {
    this.#baseline = diskUsage(dir);
    this.#timer = setInterval(() => {
      if (this.#measuring) return;
      this.#measuring = true;
      void Promise.all([this.#baseline, diskUsage(dir)])
        .then(([baseline, now]) => {
          if (!this.#stopped && baseline !== undefined && now !== undefined && now - baseline > maxGrowth) {
            this.stop();
            onExceeded();
          }
        })
        .finally(() => (this.#measuring = false));
    }, WORKTREE_POLL_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }
}
