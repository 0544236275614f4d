/**
 * The report job: an issue's status comment and label, written as its newest run is at the
 * moment the job runs, so a late job never shows an older state. Every run transition sends one
 * (`Send.report`): at the calm pace through pg-boss's debounce (one per issue per status
 * interval, the last of a burst always written), or at once when a person waits for the answer.
 * An urgent write leaves the label to the calm one that follows it, and a run's start is written
 * only once it has lasted an interval, so a run that ends within the interval never wears (and
 * sheds) the labels in between, nor has its comment edited for them.
 */
import { storedConfigOf } from '../config/repo.ts';
import type { ReportJob } from '../domain/jobs.ts';
import { writeStatus } from '../github/status.ts';
import type { JobContext } from './context.ts';

/** The body hash recorded while a status comment is being created: one may exist from then on. */
const CREATING = 'creating';

export async function report(job: ReportJob, ctx: JobContext): Promise<void> {
  const run = await ctx.store.latestRunFor(job.repo, job.issueNumber);
  if (!run) return;
  const row = await ctx.records.status(job.repo, job.issueNumber);
  const octokit = await ctx.clientFor(run.installationId);
  const urgent = job.urgent ?? false;
  const config = storedConfigOf(run);
  const written = await writeStatus(octokit, run, row, {
    labels: urgent ? undefined : config.ok ? config.config.statusLabels : null,
    now: Date.now(),
    publicUrl: ctx.settings.publicUrl,
    beforeCreate: () =>
      ctx.records.saveStatus(job.repo, job.issueNumber, {
        commentId: undefined,
        bodyHash: CREATING,
        label: row.label,
      }),
  });
  await ctx.records.saveStatus(job.repo, job.issueNumber, written);
  if (urgent) await ctx.send.report({ repo: job.repo, issueNumber: job.issueNumber });
  if (config.ok && config.config.dashboard) {
    await ctx.send.dashboard({ repo: run.trigger.repo, installationId: run.installationId });
  }
}

/**
 * Writes the issue's status now, in this job, and fails with GitHub's error: the intake and the
 * commands answer a person and go on only once the comment is there.
 */
export async function reportNow(target: Omit<ReportJob, 'urgent'>, ctx: JobContext): Promise<void> {
  await report({ ...target, urgent: true }, ctx);
}
