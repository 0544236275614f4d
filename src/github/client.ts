/** The installation-authenticated Octokit Probot hands out, and the repository coordinates calls need. */
import type { ProbotOctokit } from 'probot';
import type { RepoRef } from '../store/records.ts';

export type GitHubClient = InstanceType<typeof ProbotOctokit>;

/** Gives an Octokit authenticated as an installation of the app. */
export type ClientFactory = (installationId: number) => Promise<GitHubClient>;

export function repoParams(repo: RepoRef): { owner: string; repo: string } {
  return { owner: repo.owner, repo: repo.name };
}

/** The installation token behind a client, for git. */
export async function installationToken(octokit: GitHubClient): Promise<string> {
  const auth = (await octokit.auth({ type: 'installation' })) as { token: string };
  return auth.token;
}

/** The HTTP status of an Octokit error, if it is one. */
export function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : undefined;
}
