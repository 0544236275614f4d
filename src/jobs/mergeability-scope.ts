/** What the steps of a mergeability pass (`mergeability.ts`) share. */
import type { RepoConfig } from '../config/repo.ts';
import type { MergeabilityJob } from '../domain/jobs.ts';
import type { Mergeability } from '../domain/mergeability.ts';
import type { RunRecord } from '../domain/run.ts';
import type { GitHubClient } from '../github/client.ts';
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
