/**
 * A worker that cannot reach its database cannot know whether its runs' jobs were given to
 * another worker (their heartbeats stopped), so it kills its own agents rather than let two
 * attempts of one run work at once. The runs are handed back, as at a shutdown.
 *
 * The timing: pg-boss refreshes a job's heartbeat every half heartbeat and fails the job once it
 * is a whole heartbeat old, so a retry can start half a heartbeat after the database went away.
 * The watch pings every tenth of a heartbeat and gives up after a quarter of one, so the agents
 * are gone before that.
 */
import type { Logger } from '../log/logger.ts';
import { pingDatabase, type Queryable } from '../store/db.ts';

export interface DatabaseWatchOptions {
  db: Queryable;
  /** The job heartbeat: silent this long, a worker's jobs are taken for dead. */
  heartbeatMs: number;
  /** Kills this worker's agents at once. */
  onLost: (silentMs: number) => void;
  log: Logger;
}

/** Pings the database every tenth of a heartbeat; calls `onLost` once it has been unreachable for a quarter of one. */
export function watchDatabase(options: DatabaseWatchOptions): { stop(): void } {
  let lastOk = Date.now();
  let lost = false;
  let pinging = false;
  const every = Math.max(Math.floor(options.heartbeatMs / 10), 250);
  const limit = Math.floor(options.heartbeatMs / 4);
  const timer = setInterval(() => {
    if (pinging) {
      checkSilence();
      return;
    }
    pinging = true;
    pingDatabase(options.db, every)
      .then(() => {
        if (lost) options.log.warn('the database answers again');
        lastOk = Date.now();
        lost = false;
      })
      .catch(() => checkSilence())
      .finally(() => (pinging = false));
  }, every);
  timer.unref();
  function checkSilence(): void {
    const silentMs = Date.now() - lastOk;
    if (lost || silentMs < limit) return;
    lost = true;
    options.log.error(
      { silentMs },
      "lost the database: stopping this worker's agents, whose runs may already be retried elsewhere",
    );
    options.onLost(silentMs);
  }
  return { stop: () => clearInterval(timer) };
}
