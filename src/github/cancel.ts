/** The cancel job: a run that has not started ends at once; a running one is flagged for its worker. */
import type { Logger } from '../log/logger.ts';
import type { CancelJob, PlanJob } from '../queue/jobs.ts';
import type { RunRecord, Store } from '../store/records.ts';
import type { ClientFactory } from './client.ts';
import { renderStatus, writeStatusComment } from './status-comment.ts';

export interface CancelDeps {
  store: Store;
  clientFor: ClientFactory;
  requestPlan: (job: PlanJob) => Promise<void>;
  onEnded: (run: RunRecord) => Promise<void>;
  log: Logger;
}

export async function handleCancel(job: CancelJob, deps: CancelDeps): Promise<void> {
  const outcome = await deps.store.cancelLiveRun(job.repo, job.issueNumber, job.reason);
  if (!outcome) return;
  const { run } = outcome;
  deps.log.info({ run: run.id, result: outcome.result }, 'cancel handled');
  if (outcome.result === 'requested') return;
  const octokit = await deps.clientFor(job.installationId);
  await writeStatusComment(octokit, deps.store, run.trigger.repo, run.issueNumber, renderStatus({ agent: run.agent, attempt: run.attempt, state: 'cancelled', reason: run.reason }));
  await deps.onEnded(run);
}
