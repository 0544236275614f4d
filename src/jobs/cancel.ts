/** The cancel job: a run that has not started ends at once; a running one is flagged for its worker. */
import type { Logger } from '../log/logger.ts';
import type { CancelJob } from '../queue/jobs.ts';
import type { Store } from '../store/records.ts';
import type { RunRecord } from '../domain/run.ts';
import type { StatusReporter } from '../github/status-reporter.ts';

export interface CancelDeps {
  store: Store;
  status: StatusReporter;
  onEnded: (run: RunRecord) => Promise<void>;
  log: Logger;
}

export async function handleCancel(job: CancelJob, deps: CancelDeps): Promise<void> {
  const outcome = await deps.store.cancelLiveRun(job.repo, job.issueNumber, job.reason);
  if (!outcome) return;
  const { run } = outcome;
  deps.log.info({ run: run.id, result: outcome.result }, 'cancel handled');
  if (outcome.result === 'requested') return;
  // A person asked: the answer is not held back by the write interval.
  await deps.status.refresh({ repo: run.repo, issueNumber: run.issueNumber }, { urgent: true });
  await deps.onEnded(run);
}
