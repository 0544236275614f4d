/**
 * The flow, in one table. A webhook handler (`src/github/webhooks.ts`) only records a delivery
 * and sends the first job; from there every step is a job of this table, in the order a label
 * travels to a pull request:
 *
 *   setup → intake → plan → run (→ finish) → report → dashboard;  command and cancel beside them;
 *   mergeability after every push to a repository with open Switchyard pull requests;
 *   ci-result after CI finished on one of their heads (a round of fixes for failing checks).
 *
 * Two more steps run on timers, not queues: the sweep (every process, every 5 s: `sweep.ts`)
 * and the rescue (a worker's start: `rescue.ts`).
 */
import type {
  CancelJob,
  CiResultJob,
  CommandJob,
  DashboardJob,
  IntakeJob,
  MergeabilityJob,
  PlanJob,
  ReportJob,
  RunJob,
  SetupJob,
} from '../domain/jobs.ts';
import type { Delivery, JobEngine, QueueSpec, WorkSpec } from '../queue/engine.ts';
import { cancel } from './cancel.ts';
import { actOnCiResult } from './ci-result.ts';
import { command } from './command.ts';
import type { JobContext, Send } from './context.ts';
import { writeDashboard } from './dashboard.ts';
import { intake } from './intake.ts';
import { keepMergeable } from './mergeability.ts';
import { plan } from './plan.ts';
import { report } from './report.ts';
import { run } from './run.ts';
import { setUp } from './setup.ts';

/** Which processes work a queue: the web role, the worker role, or any. */
export type Role = 'web' | 'worker' | 'any';

export interface JobDefinition<T extends object> {
  queue: string;
  role: Role;
  options: QueueSpec;
  work: (ctx: JobContext) => WorkSpec;
  handle: (delivery: Delivery<T>, ctx: JobContext) => Promise<void>;
}

const data =
  <T extends object>(handler: (job: T, ctx: JobContext) => Promise<unknown>) =>
  async (delivery: Delivery<T>, ctx: JobContext) => {
    await handler(delivery.data, ctx);
  };

export const JOBS = {
  /** A new installation's repositories get their labels. */
  setup: {
    queue: 'switchyard-setup',
    role: 'web',
    options: { retryLimit: 3, retryDelay: 5, retryBackoff: true, expireInSeconds: 300 },
    work: () => ({}),
    handle: data<SetupJob>(setUp),
  },
  /** A recorded trigger: who sent it, the config, the run, the reaction and the status comment. */
  intake: {
    queue: 'switchyard-intake',
    role: 'web',
    options: { retryLimit: 3, retryDelay: 2, retryBackoff: true, expireInSeconds: 120 },
    // Triggers come in bursts (a maintainer labels ten issues): fetched together, settled one by one.
    work: () => ({ batchSize: 8 }),
    handle: data<IntakeJob>((job, ctx) => intake(job.trigger, ctx)),
  },
  /** An `/agent …` comment, or a retry box ticked on the dashboard issue. */
  command: {
    queue: 'switchyard-command',
    role: 'web',
    options: { retryLimit: 3, retryDelay: 2, retryBackoff: true, expireInSeconds: 120 },
    work: () => ({}),
    handle: data<CommandJob>(command),
  },
  /** The scheduler's pass over a repository: stately, one queued and one running per repository. */
  plan: {
    queue: 'switchyard-plan',
    role: 'web',
    options: { policy: 'stately', retryLimit: 5, retryDelay: 1, retryBackoff: true, expireInSeconds: 60 },
    work: () => ({ localConcurrency: 2 }),
    handle: data<PlanJob>(plan),
  },
  /** One run, start to final state; one live job per issue, grouped per repository. */
  run: {
    queue: 'switchyard-run',
    role: 'worker',
    // A run job lives as long as its run (agents have their own timeouts).
    options: { policy: 'exclusive', retryDelay: 0, expireInSeconds: 24 * 60 * 60 },
    work: (ctx) => ({ localConcurrency: ctx.settings.concurrency }),
    handle: run,
  },
  /** An issue's status comment and label; one at a time per issue, on any process. */
  report: {
    queue: 'switchyard-report',
    role: 'any',
    options: { retryLimit: 5, retryDelay: 2, retryBackoff: true, expireInSeconds: 120 },
    // Fetched eight at a time (at most one per issue), fetched again at once while batches come back
    // full; calm reports wait for their slot, so due ones are looked for twice a second, not only
    // when notified. One at a time, pg-boss waits a poll between jobs: a burst would queue up.
    work: () => ({ batchSize: 8, groupConcurrency: 1, pollSeconds: 0.5 }),
    handle: data<ReportJob>(report),
  },
  /** A repository's dashboard issue, after the status writes. */
  dashboard: {
    queue: 'switchyard-dashboard',
    role: 'any',
    options: { retryLimit: 3, retryDelay: 5, retryBackoff: true, expireInSeconds: 120 },
    work: () => ({ batchSize: 4, groupConcurrency: 1, pollSeconds: 2 }),
    handle: data<DashboardJob>(writeDashboard),
  },
  /**
   * A repository's open pull requests checked against their bases in the worker's mirror, and
   * repaired: one pass at a time per repository, a burst of pushes checked once.
   */
  mergeability: {
    queue: 'switchyard-mergeability',
    role: 'worker',
    options: { retryLimit: 3, retryDelay: 5, retryBackoff: true, expireInSeconds: 600 },
    work: () => ({ batchSize: 4, groupConcurrency: 1, pollSeconds: 0.5 }),
    handle: data<MergeabilityJob>(keepMergeable),
  },
  /**
   * CI finished on the head of a Switchyard pull request: its failing checks get a round of fixes
   * (`pullRequest.fixFailingChecks`), one commit at a time per repository.
   */
  ciResult: {
    queue: 'switchyard-ci-result',
    role: 'web',
    options: { retryLimit: 3, retryDelay: 5, retryBackoff: true, expireInSeconds: 300 },
    work: () => ({ batchSize: 4, groupConcurrency: 1, pollSeconds: 1 }),
    handle: data<CiResultJob>(actOnCiResult),
  },
  /** A removed label or a closed issue stops the issue's live run. */
  cancel: {
    queue: 'switchyard-cancel',
    role: 'web',
    options: { retryLimit: 3, retryDelay: 1, expireInSeconds: 60 },
    work: () => ({}),
    handle: data<CancelJob>(cancel),
  },
} satisfies {
  setup: JobDefinition<SetupJob>;
  intake: JobDefinition<IntakeJob>;
  command: JobDefinition<CommandJob>;
  plan: JobDefinition<PlanJob>;
  run: JobDefinition<RunJob>;
  report: JobDefinition<ReportJob>;
  dashboard: JobDefinition<DashboardJob>;
  mergeability: JobDefinition<MergeabilityJob>;
  ciResult: JobDefinition<CiResultJob>;
  cancel: JobDefinition<CancelJob>;
};

/** Every queue with its options, for the engine to create. */
export function queues(runRetries: number): Array<[string, QueueSpec]> {
  return Object.values(JOBS).map((job) => [
    job.queue,
    job === JOBS.run ? { ...job.options, retryLimit: runRetries } : job.options,
  ]);
}

/** Works, in this process, the queues of its roles. */
export async function workJobs(engine: JobEngine, ctx: JobContext, roles: { web: boolean; worker: boolean }) {
  for (const job of Object.values(JOBS) as Array<JobDefinition<object>>) {
    const mine = job.role === 'any' || (job.role === 'web' ? roles.web : roles.worker);
    if (mine) await engine.work(job.queue, job.work(ctx), (delivery) => job.handle(delivery, ctx));
  }
}

/** How the flow's jobs are sent: the singleton keys, groups and paces of each queue. */
export function sender(engine: JobEngine, statusIntervalMs: number): Send {
  const seconds = statusIntervalMs / 1000;
  // Triggers come in bursts, each webhook answered once its intake job exists: one insert for those of a moment.
  const sendIntake = engine.batchedSender(JOBS.intake.queue);
  return {
    intake: (job) => sendIntake(job, job.trigger.deliveryId),
    command: async (job) => void (await engine.send(JOBS.command.queue, job, { singletonKey: job.deliveryId })),
    setup: async (job) => void (await engine.send(JOBS.setup.queue, job)),
    cancel: async (job) => void (await engine.send(JOBS.cancel.queue, job)),
    // Delayed and immediate plans are deduplicated apart: a plan for later never holds back one needed now.
    // An immediate one is debounced to one pass a second: each trigger of a burst asks for a plan,
    // and a pass reads every live run of the repository.
    plan: async (job, delayMs = 0) => {
      const startAfter = Math.ceil(delayMs / 1000);
      if (startAfter > 0) await engine.send(JOBS.plan.queue, job, { singletonKey: `${job.repo}@later`, startAfter });
      else await engine.sendDebounced(JOBS.plan.queue, job, job.repo, 1);
    },
    run: async (job, repo, issueNumber) =>
      (await engine.send(JOBS.run.queue, job, { singletonKey: `${repo}#${issueNumber}`, group: { id: repo } })) !==
      null,
    // A settled report starts one interval after it was sent, one per issue and interval, apart
    // from the calm ones (whose slot may be taken): it reads the run as it is by then.
    report: async (job, within) => {
      const key = `${job.repo}#${job.issueNumber}`;
      const options = { group: { id: key }, within };
      const interval = Math.max(1, Math.ceil(seconds));
      if (job.urgent) await engine.send(JOBS.report.queue, job, options);
      else if (job.settled)
        await engine.send(JOBS.report.queue, job, {
          ...options,
          singletonKey: `${key}@settled`,
          singletonSeconds: interval,
          startAfter: interval,
        });
      else await engine.sendDebounced(JOBS.report.queue, job, key, seconds, options);
    },
    dashboard: async (job) =>
      engine.sendDebounced(JOBS.dashboard.queue, job, job.repo.fullName, seconds, {
        group: { id: job.repo.fullName },
      }),
    // A merge sends several events at once (the push, the pull request's close, a deletion): one pass.
    mergeability: async (job, within) =>
      engine.sendDebounced(JOBS.mergeability.queue, job, job.repo.fullName, 1, {
        group: { id: job.repo.fullName },
        within,
      }),
    // A suite's runs complete together, each with its event, and the suite's own after them: one read.
    ciResult: async (job) =>
      engine.sendDebounced(JOBS.ciResult.queue, job, `${job.repo.fullName}@${job.sha}`, 2, {
        group: { id: job.repo.fullName },
      }),
  };
}
