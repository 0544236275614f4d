/**
 * The job engine: pg-boss on the same database as the store. It knows queues, not what their
 * jobs mean: `src/jobs/index.ts` says which queues exist, with which options and handlers.
 */
import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { PgBoss, type Job, type JobResult, type JobWithMetadata, type QueueOptions, type SendOptions } from 'pg-boss';
import type { Logger } from '../log/logger.ts';
import type { Database, Queryable } from '../store/db.ts';

/** A queue's policy and retry options, as pg-boss takes them. */
export type QueueSpec = QueueOptions & { policy?: 'standard' | 'short' | 'singleton' | 'stately' | 'exclusive' };

/** How one process works a queue. */
export interface WorkSpec {
  /** Jobs worked at once by this process. */
  localConcurrency?: number;
  /** Jobs of one group worked at once across every process. */
  groupConcurrency?: number;
  /** Fetched together, settled one by one: for queues whose jobs come in bursts. */
  batchSize?: number;
  /**
   * Look for due jobs this often even when notified of new ones: for queues whose jobs are
   * mostly delayed (a notification comes when a job is sent, not when its start comes).
   */
  pollSeconds?: number;
}

/** A job as its handler gets it: the data, and how often it was tried before. */
export interface Delivery<T> {
  data: T;
  retryCount: number;
  retryLimit: number;
}

/** Send options, and the transaction a send belongs to: the job exists only if it commits. */
export type SendSpec = Omit<SendOptions, 'db'> & { within?: Queryable | undefined };

/** A job's newest state, as a sweep reads it. */
export interface JobView {
  state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';
  retryCount: number;
  retryLimit: number;
  settledAt: number | undefined;
  error: string | undefined;
}

/** Fast enough for a person watching a status comment, cheap enough for PGlite. */
const POLLING = { pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 2 };

export class JobEngine {
  readonly boss: PgBoss;
  readonly #log: Logger;
  readonly #heartbeatSeconds: number;
  readonly #answering: ReturnType<typeof asBossDatabase>;

  constructor(options: { db: Database; log: Logger; heartbeatSeconds: number }) {
    this.#log = options.log;
    this.#answering = asBossDatabase(options.db.answering);
    this.#heartbeatSeconds = options.heartbeatSeconds;
    // The monitor pass is where pg-boss notices missed heartbeats: keep it short.
    this.boss = new PgBoss({
      ...options.db.bossOptions(),
      schema: 'switchyard_jobs',
      superviseIntervalSeconds: 5,
      monitorIntervalSeconds: 5,
    });
    this.boss.on('error', (error) => this.#log.error({ err: error }, 'job engine error'));
  }

  /**
   * Starts the engine and creates (or brings up to date) each queue. Every queue's jobs send
   * heartbeats: a job left active by a dead process is retried within about heartbeat + 5 s.
   */
  async start(queues: ReadonlyArray<readonly [string, QueueSpec]>): Promise<void> {
    await this.boss.start();
    const heartbeatSeconds = this.#heartbeatSeconds;
    for (const [name, { policy, ...options }] of queues) {
      await this.boss.createQueue(name, { ...options, ...(policy ? { policy } : {}), notify: true, heartbeatSeconds });
      // createQueue leaves an existing queue as it was.
      await this.boss.updateQueue(name, { ...options, notify: true, heartbeatSeconds });
      // pg-boss caches what it knows of a queue on first use (a find is the harmless one): a send
      // inside a transaction then never looks the queue up beside it, which PGlite would hold
      // behind the transaction for ever.
      await this.boss.findJobs(name, { id: randomUUID() });
    }
  }

  /**
   * A send that joins the sends of the same moment into one insert: for a queue fed by bursts of
   * webhooks, each answered only once its job exists. The insert is part of an answer (it goes
   * ahead of background work on the embedded database). Jobs keep their singleton keys.
   */
  batchedSender(queue: string): (data: object, singletonKey: string) => Promise<void> {
    const loader = new DataLoader<{ data: object; singletonKey: string }, null>(
      async (jobs) => {
        await this.boss.insert(queue, [...jobs], { db: this.#answering });
        return jobs.map(() => null);
      },
      { cache: false, batchScheduleFn: (dispatch) => setImmediate(dispatch), maxBatchSize: 200 },
    );
    return async (data, singletonKey) => {
      await loader.load({ data, singletonKey });
    };
  }

  /** Sends a job; `null` when a singleton rule of the queue or the options folded it into another. */
  async send(queue: string, data: object, spec: SendSpec = {}): Promise<string | null> {
    const { within, ...options } = spec;
    return this.boss.send(queue, data, { ...options, ...(within ? { db: asBossDatabase(within) } : {}) });
  }

  /**
   * At most one job per `key` every `seconds`; one sent in a slot already taken goes to the next
   * slot, so the last of a burst always runs, after the burst.
   */
  async sendDebounced(queue: string, data: object, key: string, seconds: number, spec: SendSpec = {}): Promise<void> {
    const { within, ...options } = spec;
    const db = within ? { db: asBossDatabase(within) } : {};
    await this.boss.sendDebounced(queue, data, { ...options, ...db }, Math.max(1, Math.ceil(seconds)), key);
  }

  /** Works a queue with `handler`; a handler that throws fails its job, which is retried per the queue. */
  async work<T extends object>(
    queue: string,
    spec: WorkSpec,
    handler: (delivery: Delivery<T>) => Promise<void>,
  ): Promise<void> {
    const { batchSize, pollSeconds, ...concurrency } = spec;
    const polling = pollSeconds
      ? { pollingIntervalSeconds: pollSeconds, notifyPollingIntervalSeconds: pollSeconds }
      : POLLING;
    const deliver = (job: Job<T>) =>
      handler({
        data: job.data,
        retryCount: job.retryCount,
        retryLimit: (job as Partial<JobWithMetadata<T>>).retryLimit ?? 0,
      });
    if (!batchSize) {
      await this.boss.work<T>(queue, { ...polling, ...concurrency, includeMetadata: true }, async ([job]) => {
        if (job) await deliver(job);
      });
      return;
    }
    await this.boss.work<T>(
      queue,
      { ...polling, ...concurrency, batchSize, burstWhenBatchFull: true, perJobResults: true, includeMetadata: true },
      async (jobs: Job<T>[]): Promise<JobResult[]> => {
        const settled = await Promise.allSettled(jobs.map(deliver));
        return jobs.map((job, index) => {
          const result = settled[index];
          if (result?.status === 'rejected') {
            this.#log.warn({ err: result.reason as unknown, queue, job: job.id }, 'job failed; it will be retried');
          }
          return { id: job.id, status: result?.status === 'fulfilled' ? 'completed' : 'failed' };
        });
      },
    );
  }

  /** The newest job of `queue` whose data contains `match`. */
  async newestJob(queue: string, match: object): Promise<JobView | undefined> {
    const found = await this.boss.findJobs(queue, { data: match });
    const newest = found.sort((a, b) => b.createdOn.getTime() - a.createdOn.getTime())[0];
    if (!newest) return undefined;
    // pg-boss keeps a failure as `{ value: { message } }` (its own, such as a heartbeat timeout) or `{ message }`.
    const raw = newest.output as { message?: unknown; value?: { message?: unknown } } | null | undefined;
    const output = raw?.value ?? raw;
    return {
      state: newest.state,
      retryCount: newest.retryCount,
      retryLimit: newest.retryLimit,
      settledAt: newest.completedOn ? new Date(newest.completedOn).getTime() : undefined,
      error: typeof output?.message === 'string' ? output.message : undefined,
    };
  }

  /** Cancels the jobs of `queue` with `match` in their data that wait to be worked. */
  async cancelWaiting(queue: string, match: object): Promise<void> {
    const found = await this.boss.findJobs(queue, { data: match });
    const waiting = found.filter((job) => job.state === 'created' || job.state === 'retry').map((job) => job.id);
    if (waiting.length > 0) await this.boss.cancel(queue, waiting);
  }

  /** Stops taking jobs of `queue`; those in progress go on. */
  async stopWorking(queue: string): Promise<void> {
    await this.boss.offWork(queue, { wait: false });
  }

  async stop(timeoutMs = 30_000): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: timeoutMs });
  }
}

/** A transaction of ours as pg-boss reaches a database. */
function asBossDatabase(tx: Queryable): { executeSql(text: string, values?: unknown[]): Promise<{ rows: object[] }> } {
  return { executeSql: async (text, values) => ({ rows: await tx.query<object>(text, values ?? []) }) };
}
