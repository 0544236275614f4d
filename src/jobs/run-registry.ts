/**
 * The runs this process executes, each with its abort switch: a cancel request found in the
 * store, or the process shutting down, stops its agent.
 */
import type { Logger } from '../log/logger.ts';
import type { Store } from '../store/runs.ts';

/** The abort switches of the runs this process is executing, polled against cancel requests. */
export class RunRegistry {
  readonly #running = new Map<string, { controller: AbortController; reason: string | undefined }>();
  #timer: NodeJS.Timeout | undefined;

  register(runId: string): AbortController {
    const controller = new AbortController();
    this.#running.set(runId, { controller, reason: undefined });
    return controller;
  }

  unregister(runId: string): void {
    this.#running.delete(runId);
  }

  cancel(runId: string, reason: string | Error): void {
    const entry = this.#running.get(runId);
    if (!entry || entry.controller.signal.aborted) return;
    const error = reason instanceof Error ? reason : new Error(reason);
    entry.reason = error.message;
    entry.controller.abort(error);
  }

  get size(): number {
    return this.#running.size;
  }

  /** Stops every run of this process, to be tried again elsewhere: the process is shutting down. */
  interruptAll(): void {
    for (const runId of this.#running.keys()) this.cancel(runId, new ShutdownInterruption());
  }

  /** Checks the store for cancel requests of the runs here, every `intervalMs`. */
  watch(store: Store, intervalMs: number, log: Logger): void {
    this.#timer = setInterval(() => {
      store.cancelRequests([...this.#running.keys()]).then(
        (requests) => {
          for (const [runId, reason] of requests) this.cancel(runId, reason);
        },
        (error: unknown) => log.warn({ err: error }, 'could not read cancel requests'),
      );
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}

/** The abort reason when a worker shuts down: the run is handed back, not cancelled. */
export class ShutdownInterruption extends Error {
  constructor() {
    super('the worker shut down');
  }
}
