/** What the dashboard is given, and what a request handler of it reads. */
import type { request as octokitRequest } from '@octokit/request';
import type { CancelJob, CommandJob } from '../../domain/jobs.ts';
import type { Logger } from '../../log/logger.ts';
import type { AttemptStore } from '../../store/attempts.ts';
import type { ObservabilityStore } from '../../store/observability.ts';
import type { Store } from '../../store/runs.ts';

export interface DashboardOptions {
  store: Store;
  attempts: AttemptStore;
  observability: ObservabilityStore;
  /** The operator token. */
  token: string | undefined;
  /** The app's OAuth client, for signing in with GitHub, and GitHub's REST API root. */
  oauth?: { clientId: string; clientSecret: string; apiUrl: string } | undefined;
  /** Where the web role is reached (the OAuth callback goes there); the request's host otherwise. */
  publicUrl?: string | undefined;
  /**
   * What a GitHub user may do in a repository of an installation: read it (see its runs), write
   * to it (cancel and retry them from the dashboard).
   */
  accessOf: (login: string, repo: string, installationId: number) => Promise<Access>;
  /** Where the dashboard's buttons go: the same jobs as `/agent retry` and `/agent cancel`. */
  enqueueCommand: (job: CommandJob) => Promise<void>;
  enqueueCancel: (job: CancelJob) => Promise<void>;
  /** Cookies marked Secure: the dashboard is reached over HTTPS. */
  secureCookies: boolean;
  log: Logger;
  /** How often a streaming log looks for new output. */
  logPollMs?: number;
}

export interface Access {
  read: boolean;
  write: boolean;
}

/** The options, and GitHub's request function built once. */
export type Routes = DashboardOptions & { request: typeof octokitRequest | undefined };
