/** The set-up job of a new installation: each repository gets its labels. */
import { loadRepoConfig } from '../config/repo-load.ts';
import { defaultRepoConfig } from '../config/repo.ts';
import type { SetupJob } from '../domain/jobs.ts';
import { ensureLabels, labelSpecs } from '../github/labels.ts';
import type { JobContext } from './context.ts';

export async function setUp(job: SetupJob, ctx: JobContext): Promise<void> {
  const octokit = await ctx.clientFor(job.installationId);
  for (const repo of job.repos) {
    const loaded = await loadRepoConfig(octokit, repo.owner, repo.name);
    // An invalid file is answered at the first trigger; the labels need only names.
    const config = loaded.ok ? loaded.config : defaultRepoConfig();
    const created = await ensureLabels(octokit, repo, labelSpecs(ctx.agents, config), ctx.records);
    ctx.log.info({ repo: repo.fullName, labels: created }, 'repository set up');
  }
}
