/**
 * Two lanes in front of a database that does one thing at a time (PGlite: one connection, on the
 * process's one thread, taking statements in the order they were asked).
 *
 * A webhook is answered only once its delivery and its job are recorded. Under a burst, the jobs
 * of the webhooks answered a moment ago (intake: a run, its status comment, its report) queue up
 * their statements by the dozen, and a webhook's two statements would wait behind all of them.
 * The answer lane goes first: background work is handed to the database one piece at a time, and
 * only while no answer waits, so an answer waits for at most the piece in progress. A piece that
 * has waited `patienceMs` goes anyway: under a stream of answers that never pauses, the job engine's
 * own heartbeats and fetches still get their turn.
 *
 * PGlite's statements run synchronously under their promises: each started from the last one's
 * settlement, a queue of them ran back to back in microtasks and kept the event loop (so every
 * webhook waiting to be read) out for 130–180 ms at a time. Pieces handed over back to back for
 * `sliceMs` give the event loop a turn before the next; a turn per piece would cost a run more
 * than it saves (a run's statements mostly follow each other: the demo's overhead per run went
 * from 1.1 to 2.0 s).
 */
export class AnswerFirst {
  readonly #patienceMs: number;
  readonly #sliceMs: number;
  /** When the pieces handed over back to back began; unset once the event loop had a turn. */
  #sliceSince: number | undefined;
  #answers = 0;
  #backgroundBusy = false;
  readonly #backgroundQueue: Array<{ start: () => void; since: number }> = [];
  #patience: NodeJS.Timeout | undefined;

  constructor(options: { patienceMs?: number; sliceMs?: number } = {}) {
    this.#patienceMs = options.patienceMs ?? 50;
    this.#sliceMs = options.sliceMs ?? 10;
  }

  /** Work a webhook's answer waits on: it goes ahead of every background piece not yet started. */
  async answer<T>(work: () => Promise<T>): Promise<T> {
    this.#answers += 1;
    try {
      return await work();
    } finally {
      this.#answers -= 1;
      this.#next();
    }
  }

  /**
   * Everything else, one piece at a time, in the order asked. A piece must not wait for another
   * piece of this lane (no more than a transaction may wait for a statement outside it).
   */
  async background<T>(work: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      this.#backgroundQueue.push({ start, since: performance.now() });
      this.#next();
    });
    try {
      return await work();
    } finally {
      this.#backgroundBusy = false;
      this.#next();
    }
  }

  /** Background pieces not yet handed to the database. */
  get waiting(): number {
    return this.#backgroundQueue.length;
  }

  #next(): void {
    const oldest = this.#backgroundQueue[0];
    if (this.#backgroundBusy || !oldest) return;
    const waitedMs = performance.now() - oldest.since;
    if (this.#answers > 0 && waitedMs < this.#patienceMs) {
      // Answers come and go; the timer only makes sure a steady stream of them cannot hold a piece for ever.
      this.#patience ??= setTimeout(() => {
        this.#patience = undefined;
        this.#next();
      }, this.#patienceMs - waitedMs);
      this.#patience.unref();
      return;
    }
    clearTimeout(this.#patience);
    this.#patience = undefined;
    this.#backgroundQueue.shift();
    this.#backgroundBusy = true;
    this.#handOver(oldest.start);
  }

  #handOver(start: () => void): void {
    const now = performance.now();
    if (this.#sliceSince === undefined) {
      this.#sliceSince = now;
      // Runs on the event loop's next turn, before a piece that waits for that turn.
      setImmediate(() => (this.#sliceSince = undefined));
    }
    if (now - this.#sliceSince < this.#sliceMs) start();
    else setImmediate(start);
  }
}
