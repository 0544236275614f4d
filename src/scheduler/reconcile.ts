/**
 * Reconciliation: run records against the job engine. A run is live in the records (queued and
 * handed to the queue, or running) only while a job can still bring it to an end. When its job
 * failed for good, ended, or vanished, nothing ever will: the run is ended here, with the truth
 * for its status comment. Pure: state in, repairs out.
 */

export interface DispatchedRun {
  id: string;
  state: 'queued' | 'running';
  attempt: number;
  /** When the run was handed to the queue (ms). */
  dispatchedAt: number;
  /** Why a cancel was asked for, if it was. */
  cancelReason: string | undefined;
}

export interface RunJobView {
  state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';
  retryCount: number;
  retryLimit: number;
  /** When the job last changed for good (completed or failed), in ms. */
  settledAt: number | undefined;
  /** The error a failed job carries, such as pg-boss's `job heartbeat timeout`. */
  error: string | undefined;
}

export type Repair =
  | { runId: string; action: 'fail'; reason: string }
  | { runId: string; action: 'cancel'; reason: string; cancelJob: boolean };

export interface ReconcileOptions {
  now: number;
  /** How long a job may be missing or settled before its run is ended: a worker finishing a run records it before its job settles. */
  graceMs: number;
}

export function reconcile(
  runs: readonly DispatchedRun[],
  jobs: ReadonlyMap<string, RunJobView>,
  options: ReconcileOptions,
): Repair[] {
  const repairs: Repair[] = [];
  for (const run of runs) {
    const job = jobs.get(run.id);
    const settledLongAgo = (at: number | undefined) => at === undefined || options.now - at >= options.graceMs;
    if (!job) {
      if (options.now - run.dispatchedAt < options.graceMs) continue;
      repairs.push(
        run.cancelReason
          ? cancel(run, false)
          : {
              runId: run.id,
              action: 'fail',
              reason:
                'Its job vanished from the queue, so nothing could finish it. Comment `/agent retry` to run it again.',
            },
      );
      continue;
    }
    switch (job.state) {
      case 'active':
        // pg-boss watches an active job's heartbeat: a dead worker's job turns to retry or failed.
        continue;
      case 'created':
      case 'retry':
        // Waiting for a worker. A queued run waits as it should; a running one lost its worker.
        if (run.state === 'running' && run.cancelReason) repairs.push(cancel(run, true));
        continue;
      case 'failed':
        if (!settledLongAgo(job.settledAt)) continue;
        repairs.push(
          run.cancelReason
            ? cancel(run, false)
            : {
                runId: run.id,
                action: 'fail',
                reason:
                  run.state === 'running'
                    ? interrupted(job)
                    : `Its job failed before the run could start${job.error ? ` (${job.error})` : ''}, and no retry is left. Comment \`/agent retry\` to run it again.`,
              },
        );
        continue;
      case 'completed':
      case 'cancelled':
        if (!settledLongAgo(job.settledAt)) continue;
        repairs.push(
          run.cancelReason
            ? cancel(run, false)
            : {
                runId: run.id,
                action: 'fail',
                reason: `Its job was ${job.state} without the run being recorded as ended. Comment \`/agent retry\` to run it again.`,
              },
        );
        continue;
    }
  }
  return repairs;
}

function cancel(run: DispatchedRun, cancelJob: boolean): Repair {
  return {
    runId: run.id,
    action: 'cancel',
    reason: `Cancelled: ${run.cancelReason ?? 'a cancel was asked for'}. Its worker had stopped, so it ended at once.`,
    cancelJob,
  };
}

function interrupted(job: RunJobView): string {
  const times = job.retryCount + 1;
  const why = job.error ? ` (${job.error})` : '';
  return `Interrupted ${times === 1 ? 'once' : `${times} times`}: the worker running it stopped${why}, and no retry is left. Comment \`/agent retry\` to run it again.`;
}
