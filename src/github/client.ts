/** The installation-authenticated Octokit Probot hands out, and the repository coordinates calls need. */
import { createAppAuth } from '@octokit/auth-app';
import { request } from '@octokit/request';
import type { ProbotOctokit } from 'probot';
import type { RepoRef } from '../store/records.ts';

export type GitHubClient = InstanceType<typeof ProbotOctokit>;

/** Gives an Octokit authenticated as an installation of the app. */
export type ClientFactory = (installationId: number) => Promise<GitHubClient>;

export function repoParams(repo: RepoRef): { owner: string; repo: string } {
  return { owner: repo.owner, repo: repo.name };
}

/** Gives an installation access token, for git. */
export type TokenSource = (installationId: number) => Promise<string>;

/**
 * Installation tokens for git, from the app's own credentials and GitHub's API root. Not through
 * a Probot client's `auth()`: that one asks api.github.com for a token it has not cached, whatever
 * the client's base URL (GitHub Enterprise, the twin).
 */
export function tokenSource(options: { appId: string; privateKey: string; baseUrl: string }): TokenSource {
  const auth = createAppAuth({ appId: options.appId, privateKey: options.privateKey, request: request.defaults({ baseUrl: options.baseUrl }) });
  return async (installationId) => (await auth({ type: 'installation', installationId })).token;
}

/** The HTTP status of an Octokit error, if it is one. */
export function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : undefined;
}
