/**
 * The reconciliation sweep: every few seconds, on every process, and once at start-up, run
 * records are compared with the job engine (`src/scheduler/reconcile.ts` decides). A run whose
 * job can no longer end it is ended here, with a truthful status comment, and its slot is given
 * back to the scheduler. On a worker, the sweep also kills the agents of runs whose Switchyard
 * died, so they never overlap their retry. (A status comment left unwritten by a process that
 * died needs no repair here: a run's end and its report job are written in one transaction.)
 */
import type { Logger } from '../log/logger.ts';
import type { JobView } from '../queue/engine.ts';
import { killMachineOrphans, killOrphanedRuns } from '../runner/orphans.ts';
import { reconcile, type Repair } from '../scheduler/reconcile.ts';
import type { JobContext } from './context.ts';
import { endLiveRun } from './finish.ts';
import { afterRunEnded } from './plan.ts';

export interface SweepOptions {
  /** The newest run job of a run, and a way to cancel its waiting ones. */
  runJobs: { newest(runId: string): Promise<JobView | undefined>; cancelWaiting(runId: string): Promise<void> };
  /** A worker's data directory: agents of dead owners found there are killed. */
  dataDir?: string | undefined;
  intervalMs: number;
  /** How long a job may be missing or settled before its run is ended. */
  graceMs: number;
}

export interface Sweeper {
  /** One pass; returns the repairs it made. */
  sweep(): Promise<Repair[]>;
  stop(): void;
}

/** One pass of the sweep. */
export async function sweep(ctx: JobContext, options: SweepOptions, log: Logger = ctx.log): Promise<Repair[]> {
  if (options.dataDir) {
    const orphans = await killOrphanedRuns(options.dataDir, { spareOwn: true });
    const elsewhere = await killMachineOrphans();
    if (orphans.groups.length + elsewhere.length > 0) {
      log.warn(
        { runs: orphans.runs, processGroups: [...orphans.groups, ...elsewhere] },
        'killed the agents of runs whose Switchyard is gone',
      );
    }
  }
  const dispatched = await ctx.store.dispatchedRuns();
  if (dispatched.length === 0) return [];
  const jobs = new Map<string, JobView>();
  for (const { run } of dispatched) {
    const view = await options.runJobs.newest(run.id);
    if (view) jobs.set(run.id, view);
  }
  const views = dispatched.map(({ run, cancelReason }) => ({
    id: run.id,
    state: run.state as 'queued' | 'running',
    attempt: run.attempt,
    dispatchedAt: (run.dispatchedAt ?? run.createdAt).getTime(),
    cancelReason,
  }));
  const made: Repair[] = [];
  for (const repair of reconcile(views, jobs, { now: Date.now(), graceMs: options.graceMs })) {
    const state = repair.action === 'cancel' ? 'cancelled' : 'failed';
    const ended = await endLiveRun(repair.runId, state, repair.reason, ctx);
    if (!ended) continue;
    made.push(repair);
    if (repair.action === 'cancel' && repair.cancelJob) await options.runJobs.cancelWaiting(repair.runId);
    log.warn(
      { run: ended.id, repo: ended.repo, issue: ended.issueNumber, state: ended.state, reason: repair.reason },
      'reconciliation ended a run that nothing else would',
    );
    await afterRunEnded(ended, ctx);
  }
  return made;
}

/** Sweeps every `intervalMs`, one pass at a time. */
export function startSweeping(ctx: JobContext, options: SweepOptions): Sweeper {
  let running: Promise<Repair[]> | undefined;
  const once = () => {
    running ??= sweep(ctx, options).finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => {
    once().catch((error: unknown) =>
      ctx.log.warn({ err: error }, 'reconciliation sweep failed; the next one tries again'),
    );
  }, options.intervalMs);
  timer.unref();
  return { sweep: once, stop: () => clearInterval(timer) };
}
