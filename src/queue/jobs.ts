/**
 * The job engine: pg-boss on the same database as the store. Its queues:
 * - `intake`: a recorded trigger waiting for its permission check, reaction and status comment;
 * - `plan`: the scheduler's pass over a repository's live runs;
 * - `run`: one job per run, one live job per issue (policy `exclusive`, singleton key
 *   `owner/repo#N`), grouped per repository so that per-repository limits hold across workers;
 * - `cancel`, `command` and `setup`: cancels, `/agent` commands, labels for new installations.
 */
import { PgBoss, type Job, type JobResult, type QueueOptions } from 'pg-boss';
import type { Logger } from '../log/logger.ts';
import type { Database } from '../store/db.ts';
import type { RunJobView } from '../scheduler/reconcile.ts';
import type { IssueSnapshot, RepoRef, RunTrigger } from '../domain/run.ts';

export const QUEUES = {
  intake: 'switchyard-intake',
  plan: 'switchyard-plan',
  run: 'switchyard-run',
  cancel: 'switchyard-cancel',
  command: 'switchyard-command',
  setup: 'switchyard-setup',
} as const;

/** An `/agent …` comment, recorded; the permission check and the answer happen in the job. */
export interface CommandJob {
  deliveryId: string;
  installationId: number;
  repo: RepoRef;
  issue: IssueSnapshot;
  sender: string;
  /** The comment that gave the command (it gets a 👀); none for a box ticked on the dashboard issue. */
  commentId: number | undefined;
  /** The issue was open when the comment was made (`/agent retry` needs it open). */
  issueOpen: boolean;
  /** The word after `/agent`, lowercased (may be empty or unknown). */
  name: string;
  /** What follows it: `/agent retry <instructions>`. */
  args?: string | undefined;
  /** The comment was made on this pull request (`issue` is then the pull request's own). */
  pullRequest?: number | undefined;
  /** The issue the command is about, when given elsewhere (a box ticked on the dashboard issue). */
  target?: number | undefined;
}

/** Repositories the app was installed on: their labels are created. */
export interface SetupJob {
  installationId: number;
  repos: Array<{ owner: string; name: string; fullName: string }>;
}

export interface IntakeJob {
  trigger: RunTrigger;
}

export interface RunJob {
  runId: string;
}

/** Cancel an issue's live run: its label was removed, or the issue closed. */
export interface CancelJob {
  repo: string;
  issueNumber: number;
  installationId: number;
  reason: string;
}

/** Plan the repository's live runs again: after a batch window, a finished run, or a merge. */
export interface PlanJob {
  repo: string;
  installationId: number;
}

export interface JobEngineOptions {
  db: Database;
  log: Logger;
  /** Retries of a run job whose worker died or shut down. */
  runRetries: number;
  /** Heartbeat of running run jobs; a worker silent for this long is taken for dead. */
  heartbeatSeconds: number;
}

/** A run job as a worker receives it: `retryCount` above 0 means an earlier attempt was interrupted. */
export interface RunDelivery {
  runId: string;
  retryCount: number;
  retryLimit: number;
}

/** Intake jobs taken at once by one process. */
const INTAKE_BATCH = 8;

/** Fast enough for a person watching a status comment, cheap enough for PGlite. */
const POLLING = { pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 2 };

export class JobEngine {
  readonly boss: PgBoss;
  readonly #log: Logger;
  readonly #runRetries: number;
  readonly #heartbeatSeconds: number;

  constructor(options: JobEngineOptions) {
    this.#log = options.log;
    this.#runRetries = options.runRetries;
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

  async start(): Promise<void> {
    await this.boss.start();
    // Every queue's jobs send heartbeats: a job left "active" by a dead process is failed and
    // retried within about heartbeat + 5 s, instead of blocking its key until it expires.
    const heartbeatSeconds = this.#heartbeatSeconds;
    const queues: Array<[string, QueueOptions & { policy?: string }]> = [
      [QUEUES.intake, { retryLimit: 3, retryDelay: 2, retryBackoff: true, expireInSeconds: 120 }],
      [QUEUES.cancel, { retryLimit: 3, retryDelay: 1, expireInSeconds: 60 }],
      [QUEUES.command, { retryLimit: 3, retryDelay: 2, retryBackoff: true, expireInSeconds: 120 }],
      [QUEUES.setup, { retryLimit: 3, retryDelay: 5, retryBackoff: true, expireInSeconds: 300 }],
      // stately: one plan queued and one running per repository; a queued plan sees the newest state.
      [QUEUES.plan, { policy: 'stately', retryLimit: 5, retryDelay: 1, retryBackoff: true, expireInSeconds: 60 }],
      // A run job lives as long as its run (agents have their own timeouts).
      [QUEUES.run, { policy: 'exclusive', retryLimit: this.#runRetries, retryDelay: 0, expireInSeconds: 24 * 60 * 60 }],
    ];
    for (const [name, { policy, ...options }] of queues) {
      await this.boss.createQueue(name, { ...options, ...(policy ? { policy } : {}), notify: true, heartbeatSeconds });
      // createQueue leaves an existing queue as it was: bring its options up to date too.
      await this.boss.updateQueue(name, { ...options, notify: true, heartbeatSeconds });
    }
  }

  async enqueueIntake(job: IntakeJob): Promise<void> {
    await this.boss.send(QUEUES.intake, job, { singletonKey: job.trigger.deliveryId });
  }

  /** Queues a run; `false` when the issue already has a queued or active run job. */
  async enqueueRun(job: RunJob, repo: string, issueNumber: number): Promise<boolean> {
    const id = await this.boss.send(QUEUES.run, job, { singletonKey: `${repo}#${issueNumber}`, group: { id: repo } });
    return id !== null;
  }

  /**
   * Asks for a plan of the repository after `delayMs` (rounded up to whole seconds). Delayed and
   * immediate requests are deduplicated separately, so that a plan waiting for later never
   * holds back one that is needed now.
   */
  async requestPlan(job: PlanJob, delayMs = 0): Promise<void> {
    const startAfter = Math.ceil(delayMs / 1000);
    if (startAfter > 0) await this.boss.send(QUEUES.plan, job, { singletonKey: `${job.repo}@later`, startAfter });
    else await this.boss.send(QUEUES.plan, job, { singletonKey: job.repo });
  }

  async workPlans(handler: (job: PlanJob) => Promise<void>): Promise<void> {
    await this.#workOneAtATime(QUEUES.plan, { localConcurrency: 2 }, handler);
  }

  async enqueueCancel(job: CancelJob): Promise<void> {
    await this.boss.send(QUEUES.cancel, job);
  }

  async workCancels(handler: (job: CancelJob) => Promise<void>): Promise<void> {
    await this.#workOneAtATime(QUEUES.cancel, {}, handler);
  }

  async enqueueCommand(job: CommandJob): Promise<void> {
    await this.boss.send(QUEUES.command, job, { singletonKey: job.deliveryId });
  }

  async workCommands(handler: (job: CommandJob) => Promise<void>): Promise<void> {
    await this.#workOneAtATime(QUEUES.command, {}, handler);
  }

  async enqueueSetup(job: SetupJob): Promise<void> {
    await this.boss.send(QUEUES.setup, job);
  }

  async workSetup(handler: (job: SetupJob) => Promise<void>): Promise<void> {
    await this.#workOneAtATime(QUEUES.setup, {}, handler);
  }

  /**
   * Intake jobs come in bursts (a maintainer labels ten issues): they are fetched in batches,
   * fetched again at once while batches come back full, and each is settled on its own.
   */
  async workIntake(handler: (job: IntakeJob) => Promise<void>): Promise<void> {
    await this.boss.work<IntakeJob>(
      QUEUES.intake,
      { ...POLLING, batchSize: INTAKE_BATCH, burstWhenBatchFull: true, perJobResults: true },
      async (jobs: Job<IntakeJob>[]): Promise<JobResult[]> => {
        const settled = await Promise.allSettled(jobs.map((job) => handler(job.data)));
        return jobs.map((job, index) => {
          const result = settled[index];
          if (result?.status === 'rejected')
            this.#log.warn(
              { err: result.reason as unknown, delivery: job.data.trigger.deliveryId },
              'intake failed; it will be retried',
            );
          return { id: job.id, status: result?.status === 'fulfilled' ? 'completed' : 'failed' };
        });
      },
    );
  }

  async workRuns(concurrency: number, handler: (delivery: RunDelivery) => Promise<void>): Promise<void> {
    await this.boss.work<RunJob>(
      QUEUES.run,
      { ...POLLING, localConcurrency: concurrency },
      async ([job]: Job<RunJob>[]) => {
        if (job) await handler({ runId: job.data.runId, retryCount: job.retryCount, retryLimit: this.#runRetries });
      },
    );
  }

  /** Works a queue whose jobs are fetched one at a time and need only their data. */
  async #workOneAtATime<T extends object>(
    queue: string,
    options: { localConcurrency?: number },
    handler: (job: T) => Promise<void>,
  ): Promise<void> {
    await this.boss.work<T>(queue, { ...POLLING, ...options }, async ([job]: Job<T>[]) => {
      if (job) await handler(job.data);
    });
  }

  /** The newest run job of each run, as the reconciliation sweep sees it. */
  async runJobs(runIds: readonly string[]): Promise<Map<string, RunJobView>> {
    const views = new Map<string, RunJobView>();
    for (const runId of runIds) {
      const found = await this.boss.findJobs<RunJob>(QUEUES.run, { data: { runId } });
      const newest = found.sort((a, b) => b.createdOn.getTime() - a.createdOn.getTime())[0];
      if (!newest) continue;
      // pg-boss keeps a failure as `{ value: { message } }` (its own, such as a heartbeat timeout) or `{ message }`.
      const raw = newest.output as { message?: unknown; value?: { message?: unknown } } | null | undefined;
      const output = raw?.value ?? raw;
      views.set(runId, {
        state: newest.state,
        retryCount: newest.retryCount,
        retryLimit: newest.retryLimit,
        settledAt: newest.completedOn ? new Date(newest.completedOn).getTime() : undefined,
        error: typeof output?.message === 'string' ? output.message : undefined,
      });
    }
    return views;
  }

  /** Cancels a run's waiting jobs: the run ended while its job waited for a worker. */
  async cancelRunJobs(runId: string): Promise<void> {
    const found = await this.boss.findJobs<RunJob>(QUEUES.run, { data: { runId } });
    const waiting = found.filter((job) => job.state === 'created' || job.state === 'retry').map((job) => job.id);
    if (waiting.length > 0) await this.boss.cancel(QUEUES.run, waiting);
  }

  /** Stops taking run jobs; those in progress go on. */
  async stopTakingRuns(): Promise<void> {
    await this.boss.offWork(QUEUES.run, { wait: false });
  }

  async stop(timeoutMs = 30_000): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: timeoutMs });
  }
}
