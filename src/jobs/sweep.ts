/**
 * The reconciliation sweep: every few seconds, on every process, and once at start-up, run
 * records are compared with the job engine (`src/scheduler/reconcile.ts` decides). A run whose
 * job can no longer end it is ended here, with a truthful status comment, and its slot is given
 * back to the scheduler. A run that ended without its final status written (its process died in
 * between) gets it written. On a worker, the sweep also kills the agents of runs whose Switchyard
 * died, so they never overlap their retry.
 */
import type { StatusReporter } from '../github/status-reporter.ts';
import type { Logger } from '../log/logger.ts';
import type { JobEngine } from '../queue/jobs.ts';
import { killMachineOrphans, killOrphanedRuns } from '../runner/orphans.ts';
import { reconcile, type Repair } from '../scheduler/reconcile.ts';
import type { GitHubRecords } from '../store/github-records.ts';
import type { Store } from '../store/records.ts';
import type { RunRecord } from '../domain/run.ts';

/** How long after a run ended its status may still be on its way (the status interval, and then some). */
const UNWRITTEN_GRACE_MS = 10_000;
/** How far back ended runs are checked. */
const UNWRITTEN_WITHIN_MS = 60 * 60_000;
const UNWRITTEN_RETRY_MS = 5 * 60_000;

export interface ReconcilerDeps {
  store: Store;
  jobs: Pick<JobEngine, 'runJobs' | 'cancelRunJobs'>;
  status: Pick<StatusReporter, 'refresh' | 'repairIfStale'>;
  records: Pick<GitHubRecords, 'setNote'>;
  /** A run was ended here: plan its repository again. */
  onEnded: (run: RunRecord) => Promise<void>;
  /** A worker's data directory: agents of dead owners found there are killed. */
  dataDir?: string | undefined;
  log: Logger;
  intervalMs: number;
  /** How long a job may be missing or settled before its run is ended. */
  graceMs: number;
}

export interface Reconciler {
  /** One pass; returns the repairs it made. */
  sweep(): Promise<Repair[]>;
  stop(): void;
}

export function startReconciler(deps: ReconcilerDeps): Reconciler {
  let running: Promise<Repair[]> | undefined;
  const askedAt = new Map<string, number>();
  const settled = new Set<string>();
  const sweep = async (): Promise<Repair[]> => {
    if (deps.dataDir) {
      const orphans = await killOrphanedRuns(deps.dataDir, { spareOwn: true });
      const elsewhere = await killMachineOrphans();
      if (orphans.groups.length + elsewhere.length > 0)
        deps.log.warn(
          { runs: orphans.runs, processGroups: [...orphans.groups, ...elsewhere] },
          'killed the agents of runs whose Switchyard is gone',
        );
    }
    // A run that ended just before its process died may not have had its final status written.
    // An ended run found written is not looked at again; one whose write was asked for is asked
    // again at most every few minutes (an issue GitHub no longer has would be asked forever).
    const ended = await deps.store.recentlyEnded(UNWRITTEN_WITHIN_MS, UNWRITTEN_GRACE_MS);
    for (const { runId, ...target } of ended) {
      if (settled.has(runId) || (askedAt.get(runId) ?? 0) > Date.now() - UNWRITTEN_RETRY_MS) continue;
      if (!(await deps.status.repairIfStale(target))) {
        settled.add(runId);
        continue;
      }
      askedAt.set(runId, Date.now());
      deps.log.info(target, 'writing the final status that a stopped process left unwritten');
    }
    // Runs out of the window are forgotten, so the memory stays the size of an hour of runs.
    const current = new Set(ended.map((e) => e.runId));
    for (const id of settled) if (!current.has(id)) settled.delete(id);
    for (const id of askedAt.keys()) if (!current.has(id)) askedAt.delete(id);
    const dispatched = await deps.store.dispatchedRuns();
    if (dispatched.length === 0) return [];
    const jobs = await deps.jobs.runJobs(dispatched.map((d) => d.run.id));
    const views = dispatched.map(({ run, cancelReason }) => ({
      id: run.id,
      state: run.state as 'queued' | 'running',
      attempt: run.attempt,
      dispatchedAt: (run.dispatchedAt ?? run.createdAt).getTime(),
      cancelReason,
    }));
    const repairs = reconcile(views, jobs, { now: Date.now(), graceMs: deps.graceMs });
    const made: Repair[] = [];
    for (const repair of repairs) {
      const ended = await deps.store.failRun(
        repair.runId,
        repair.reason,
        repair.action === 'cancel' ? 'cancelled' : 'failed',
      );
      if (!ended) continue;
      made.push(repair);
      if (repair.action === 'cancel' && repair.cancelJob) await deps.jobs.cancelRunJobs(repair.runId);
      await deps.store.endAttempt(ended.id, ended.attempt, ended.state);
      // Notes (such as "retrying as attempt 2") belonged to the run that just ended.
      await deps.records.setNote(ended.repo, ended.issueNumber, null);
      deps.log.warn(
        { run: ended.id, repo: ended.repo, issue: ended.issueNumber, state: ended.state, reason: repair.reason },
        'reconciliation ended a run that nothing else would',
      );
      void deps.status.refresh({ repo: ended.repo, issueNumber: ended.issueNumber });
      await deps.onEnded(ended);
    }
    return made;
  };
  const once = () => {
    running ??= sweep().finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => {
    once().catch((error: unknown) =>
      deps.log.warn({ err: error }, 'reconciliation sweep failed; the next one tries again'),
    );
  }, deps.intervalMs);
  timer.unref();
  return { sweep: once, stop: () => clearInterval(timer) };
}
