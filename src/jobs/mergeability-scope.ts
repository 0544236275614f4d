/** What the steps of a mergeability pass share, and its first: reading the open pull requests. */
import { storedConfigOf, type RepoConfig } from '../config/repo.ts';
import type { MergeabilityJob } from '../domain/jobs.ts';
import type { Mergeability } from '../domain/mergeability.ts';
import type { RunRecord } from '../domain/run.ts';
import { repoParams, type GitHubClient } from '../github/client.ts';
import type { MirrorGit } from '../runner/mergeability.ts';
import type { RepoCache } from '../runner/repo-cache.ts';
import type { JobContext } from './context.ts';

/** An open Switchyard pull request, as its run recorded it and as GitHub has it now. */
export interface OpenPull {
  run: RunRecord;
  config: RepoConfig;
  number: number;
  headSha: string;
  base: string;
  body: string;
}

/** One pass over a repository: what every step reads and adds to. */
export interface Scope {
  job: MergeabilityJob;
  ctx: JobContext;
  octokit: GitHubClient;
  cache: RepoCache;
  token: string;
  /** When the pass began: what it finds is true as of then. */
  checkedAt: string;
  mirror: MirrorGit;
  /** Branch → the open pull request on it, for stacks. */
  byBranch: Map<string, OpenPull>;
  /** Pull request → the open ones of its base it collides with, as the heads were when the pass began. */
  collisions: Map<number, Array<{ number: number; files: string[] }>>;
  /** What this pass found so far, by pull request. */
  results: Map<number, Mergeability>;
  /** Agent repairs to start once the mirror is let go. */
  repairs: Array<() => Promise<void>>;
}

/** Step 1: the open pull requests as GitHub has them; a merged or closed one is recorded so and left. */
export async function readOpenPulls(runs: RunRecord[], octokit: GitHubClient, ctx: JobContext): Promise<OpenPull[]> {
  const open: OpenPull[] = [];
  // One list for all of them; only a pull request no longer open is read on its own (merged or closed?).
  const [first] = runs;
  const listed = first
    ? await octokit.paginate(octokit.rest.pulls.list, {
        ...repoParams(first.trigger.repo),
        state: 'open',
        per_page: 100,
      })
    : [];
  const byNumber = new Map(listed.map((pull) => [pull.number, pull]));
  for (const run of runs) {
    const number = run.pullRequestNumber;
    if (number === null) continue;
    const data =
      byNumber.get(number) ??
      (await octokit.rest.pulls.get({ ...repoParams(run.trigger.repo), pull_number: number })).data;
    if (data.state !== 'open') {
      // Only a pull request read on its own gets here: the list holds open ones alone.
      const merged = 'merged' in data && data.merged;
      await ctx.store.setPullRequestState(run.repo, number, merged ? 'merged' : 'closed');
      continue;
    }
    const loaded = storedConfigOf(run);
    if (!loaded.ok) continue;
    open.push({
      run,
      config: loaded.config,
      number,
      headSha: data.head.sha,
      base: data.base.ref,
      body: data.body ?? '',
    });
  }
  return open;
}
