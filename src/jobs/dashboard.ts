/**
 * The dashboard job: a repository's dashboard issue (`dashboard: true`), rewritten as its runs
 * are now, never when nothing changed. A second consumer of the report jobs: each status
 * write of a repository that wants one sends it, at the calm pace.
 */
import { createHash } from 'node:crypto';
import type { DashboardJob } from '../domain/jobs.ts';
import { renderDashboard, writeDashboardIssue } from '../github/repo-dashboard.ts';
import { RepoDashboardStore } from '../store/repo-dashboards.ts';
import type { JobContext } from './context.ts';

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

export async function writeDashboard(job: DashboardJob, ctx: JobContext): Promise<void> {
  const dashboards = new RepoDashboardStore(ctx.db);
  const repo = job.repo.fullName;
  const now = new Date();
  const live = await ctx.store.liveRuns(repo);
  const finished = await ctx.store.finishedSince(repo, new Date(now.getTime() - WEEK_MS), 30);
  const body = renderDashboard(live, finished, now);
  const hash = createHash('sha256').update(body).digest('hex');
  const known = await dashboards.find(repo);
  if (known?.bodyHash === hash) return;
  // A claim first: of a web and a worker process (or two workers), one opens the issue; the
  // other writes this state once it has (the job is sent again for the next slot).
  if ((!known && !(await dashboards.claim(repo))) || known?.issueNumber === 0) {
    await ctx.send.dashboard({ repo: job.repo, installationId: job.installationId });
    return;
  }
  const octokit = await ctx.clientFor(job.installationId);
  const issueNumber = await writeDashboardIssue(octokit, job.repo, known?.issueNumber || undefined, body);
  await dashboards.save(repo, issueNumber, hash);
}
