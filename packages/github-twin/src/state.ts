/** The twin's in-memory model of the part of GitHub the app uses. */

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

export interface TwinUser {
  login: string;
  id: number;
  type: 'User' | 'Bot' | 'Organization';
}

export interface TwinLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface TwinComment {
  id: number;
  issueNumber: number;
  body: string;
  user: TwinUser;
  createdAt: Date;
  updatedAt: Date;
  reactions?: TwinReaction[];
}

export interface TwinReaction {
  id: number;
  content: string;
  user: TwinUser;
  createdAt: Date;
}

export interface TwinIssue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
  labels: string[];
  user: TwinUser;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  reactions: TwinReaction[];
  /** Numbers of the issues of the same repository that block this one (GitHub's issue dependencies). */
  blockedBy: number[];
  /** Set when this number belongs to a pull request (GitHub numbers both from one sequence). */
  pullRequest: TwinPull | undefined;
}

export interface TwinPull {
  id: number;
  number: number;
  head: string;
  base: string;
  draft: boolean;
  requestedReviewers: string[];
  merged: boolean;
  mergedAt: Date | null;
  mergeCommitSha: string | null;
  /** Review comments on lines of the diff. */
  reviewComments?: TwinReviewComment[];
  /**
   * What the last mergeability check found for these base and head commits. As on GitHub it is
   * computed in the background: the first read after either side moves answers \`null\`.
   */
  mergeability?: { key: string; result?: Mergeability | undefined } | undefined;
}

/** Whether a pull request merges cleanly into its base, and whether its base moved on since it branched. */
export interface Mergeability {
  clean: boolean;
  behind: boolean;
}

export interface TwinReviewComment {
  id: number;
  user: TwinUser;
  body: string;
  path: string;
  line: number;
  commitId: string;
  createdAt: Date;
}

export interface TwinRepo {
  id: number;
  owner: TwinUser;
  name: string;
  defaultBranch: string;
  description: string | null;
  createdAt: Date;
  /** The last push to any branch: GitHub's `pushed_at`. */
  pushedAt: Date;
  collaborators: Map<string, Permission>;
  issues: Map<number, TwinIssue>;
  labels: Map<string, TwinLabel>;
  comments: Map<number, TwinComment>;
  nextNumber: number;
  /** The setting "Automatically delete head branches" (off by default, as on GitHub). */
  deleteBranchOnMerge: boolean;
  /** Check suites, one per app and commit, as GitHub makes them when an app creates a check run. */
  checkSuites: TwinCheckSuite[];
  checkRuns: TwinCheckRun[];
  /** Commit statuses, newest last; a commit's status per context is its newest. */
  statuses: TwinStatus[];
}

/** Who made something an app made (a check run): Switchyard itself or another app, such as a CI. */
export interface TwinAppIdentity {
  id: number;
  slug: string;
  name: string;
  owner: TwinUser;
  bot: TwinUser;
  permissions: Record<string, string>;
  events: string[];
}

export type CheckStatus = 'queued' | 'in_progress' | 'completed';
export type CheckConclusion =
  | 'success'
  | 'failure'
  | 'neutral'
  | 'cancelled'
  | 'skipped'
  | 'timed_out'
  | 'action_required'
  | 'stale'
  | 'startup_failure';

export interface TwinCheckSuite {
  id: number;
  app: TwinAppIdentity;
  headSha: string;
  /** The branch the commit was pushed to when the suite was made (GitHub's `head_branch`). */
  headBranch: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TwinAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number | undefined;
  end_column?: number | undefined;
  annotation_level: 'notice' | 'warning' | 'failure';
  message: string;
  title?: string | undefined;
  raw_details?: string | undefined;
}

export interface TwinCheckRun {
  id: number;
  suiteId: number;
  app: TwinAppIdentity;
  name: string;
  headSha: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  startedAt: Date;
  completedAt: Date | null;
  detailsUrl: string | null;
  externalId: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: TwinAnnotation[];
}

export interface TwinStatus {
  id: number;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: TwinUser;
  createdAt: Date;
}

export interface TwinInstallation {
  id: number;
  account: TwinUser;
}

export interface TwinApp {
  id: number;
  slug: string;
  name: string;
  owner: TwinUser;
  bot: TwinUser;
  privateKey: string;
  publicKey: string;
  webhookSecret: string;
  webhookUrl: string | undefined;
  events: string[];
  /** What an installation of the app may do: app.yml's \`default_permissions\`. */
  permissions: Record<string, string>;
  /** The app's OAuth client: signing people in with GitHub. */
  clientId: string;
  clientSecret: string;
}

/**
 * What an installation token may reach, as asked for when it was minted: some repositories
 * (all when unset) and some permissions (the installation's when unset).
 */
export interface TokenScope {
  repositories?: string[];
  permissions?: Record<string, string>;
}

/** Who made a request: a user with a personal token, an installation, or the app itself (JWT). */
export type Actor =
  | { kind: 'user'; user: TwinUser }
  | {
      kind: 'installation';
      installation: TwinInstallation;
      user: TwinUser;
      scope: TokenScope;
      /** The app the installation belongs to, when it is not Switchyard (a CI app of a test). */
      app?: TwinAppIdentity | undefined;
    }
  | { kind: 'app' };

export class TwinState {
  readonly users = new Map<string, TwinUser>();
  readonly userTokens = new Map<string, TwinUser>();
  readonly installationTokens = new Map<
    string,
    { installation: TwinInstallation; expiresAt: Date; scope: TokenScope; app?: TwinAppIdentity | undefined }
  >();
  readonly repos = new Map<string, TwinRepo>();
  readonly installations = new Map<number, TwinInstallation>();
  /** Codes handed out by the app-manifest flow, with the manifest each was given for. */
  readonly manifestCodes = new Map<string, Record<string, unknown>>();
  /** Codes of the OAuth web flow, each for the person who authorized it. */
  readonly oauthCodes = new Map<string, TwinUser>();
  #nextId = 1000;

  nextId(): number {
    return this.#nextId++;
  }

  addUser(login: string, type: TwinUser['type'] = 'User'): TwinUser {
    const existing = this.users.get(login);
    if (existing) return existing;
    const user: TwinUser = { login, id: this.nextId(), type };
    this.users.set(login, user);
    return user;
  }

  repo(owner: string, name: string): TwinRepo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  addRepo(owner: TwinUser, name: string, defaultBranch = 'main'): TwinRepo {
    const repo: TwinRepo = {
      id: this.nextId(),
      owner,
      name,
      defaultBranch,
      description: null,
      createdAt: new Date(),
      pushedAt: new Date(),
      collaborators: new Map([[owner.login, 'admin']]),
      issues: new Map(),
      labels: new Map(),
      comments: new Map(),
      nextNumber: 1,
      deleteBranchOnMerge: false,
      checkSuites: [],
      checkRuns: [],
      statuses: [],
    };
    this.repos.set(`${owner.login}/${name}`.toLowerCase(), repo);
    return repo;
  }

  installationFor(repo: TwinRepo): TwinInstallation | undefined {
    for (const installation of this.installations.values()) {
      if (installation.account.login === repo.owner.login) return installation;
    }
    return undefined;
  }

  /** The permission GitHub would report for a user on a repository. */
  permissionOf(repo: TwinRepo, login: string): Permission | 'none' {
    return repo.collaborators.get(login) ?? 'none';
  }
}

export const PERMISSION_RANK: Record<Permission | 'none', number> = {
  none: 0,
  read: 1,
  triage: 2,
  write: 3,
  maintain: 4,
  admin: 5,
};
