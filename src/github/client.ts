/** The installation-authenticated Octokit Probot hands out, and the repository coordinates calls need. */
import { createAppAuth } from '@octokit/auth-app';
import { request } from '@octokit/request';
import type { ProbotOctokit } from 'probot';
import type { RepoRef } from '../domain/run.ts';

export type GitHubClient = InstanceType<typeof ProbotOctokit>;

/** Gives an Octokit authenticated as an installation of the app. */
export type ClientFactory = (installationId: number) => Promise<GitHubClient>;

export function repoParams(repo: RepoRef): { owner: string; repo: string } {
  return { owner: repo.owner, repo: repo.name };
}

/** An installation token for one run's git: one repository, contents only, revoked when the run ends. */
export interface RunToken {
  token: string;
  /** Ends the token at GitHub (`DELETE /installation/token`); a token already gone is fine. */
  revoke(): Promise<void>;
}

/** Mints a token for one repository of an installation. */
export type TokenSource = (installationId: number, repository: string) => Promise<RunToken>;

/** What a run's git needs: fetch and push. Pull requests and comments go through the app's own client. */
export const RUN_TOKEN_PERMISSIONS = { contents: 'write', metadata: 'read' } as const;

/**
 * Installation tokens for git, from the app's own credentials and GitHub's API root. Not through
 * a Probot client's `auth()`: that one asks api.github.com for a token it has not cached, whatever
 * the client's base URL (GitHub Enterprise, the twin). Each call mints a new token, never a
 * cached or shared one (it is revoked after its run), scoped to one repository and to contents.
 */
export function tokenSource(options: { appId: string; privateKey: string; baseUrl: string }): TokenSource {
  const api = request.defaults({ baseUrl: options.baseUrl });
  const auth = createAppAuth({ appId: options.appId, privateKey: options.privateKey, request: api });
  return async (installationId, repository) => {
    // Not auth-app's installation auth: it hands concurrent callers with the same options one
    // shared token, and one run's revocation would end another's.
    const { token: jwt } = await auth({ type: 'app' });
    const { data } = await api('POST /app/installations/{installation_id}/access_tokens', {
      installation_id: installationId,
      repositories: [repository],
      permissions: { ...RUN_TOKEN_PERMISSIONS },
      headers: { authorization: `bearer ${jwt}` },
    });
    const token = data.token;
    return {
      token,
      async revoke() {
        try {
          await api('DELETE /installation/token', { headers: { authorization: `token ${token}` } });
        } catch (error) {
          if (statusOf(error) !== 401) throw error;
        }
      },
    };
  };
}

/** The HTTP status of an Octokit error, if it is one. */
export function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
    ? error.status
    : undefined;
}
