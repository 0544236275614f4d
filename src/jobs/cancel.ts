/** The cancel job: a run that has not started ends at once; a running one is flagged for its worker. */
import type { CancelJob } from '../domain/jobs.ts';
import type { JobContext } from './context.ts';
import { afterRunEnded } from './plan.ts';

export async function cancel(job: CancelJob, ctx: JobContext): Promise<void> {
  const outcome = await ctx.store.cancelLiveRun(job.repo, job.issueNumber, job.reason);
  if (!outcome) return;
  const { run } = outcome;
  ctx.log.info({ run: run.id, result: outcome.result }, 'cancel handled');
  if (outcome.result === 'requested') return;
  // A person asked: the answer is not held back by the write interval.
  await ctx.send.report({ repo: run.repo, issueNumber: run.issueNumber, urgent: true });
  await afterRunEnded(run, ctx);
}
