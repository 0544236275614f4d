/** What the twin's REST handlers share: state, git, URLs, webhooks and access rules. */
import type { GitHost } from './git.ts';
import { issueJson, repoJson, userJson, type Urls } from './payloads.ts';
import {
  PERMISSION_RANK,
  type Actor,
  type Permission,
  type TwinApp,
  type TwinIssue,
  type TwinPull,
  type TwinRepo,
  type TwinUser,
  type TwinState,
} from './state.ts';
import type { WebhookSender } from './webhooks.ts';

export class TwinError extends Error {
  readonly status: number;
  readonly errors: unknown[] | undefined;

  constructor(status: number, message: string, errors?: unknown[]) {
    super(message);
    this.status = status;
    this.errors = errors;
  }
}

export interface HandlerInput {
  actor: Actor | undefined;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A body sent as is (a raw media type) instead of as JSON. */
  raw?: { text: string; contentType: string };
}

export type Handler = (core: TwinCore, input: HandlerInput) => Promise<HandlerResult> | HandlerResult;

/** What an installation of this app may do, from app.yml's `default_permissions`. */
export type AppScope = 'issues' | 'pull_requests' | 'contents' | 'metadata' | 'administration' | 'checks' | 'statuses';

export class TwinCore {
  readonly state: TwinState;
  readonly git: GitHost;
  readonly urls: Urls;
  readonly app: TwinApp;
  readonly webhooks: WebhookSender;

  readonly #background = new Set<Promise<unknown>>();

  constructor(state: TwinState, git: GitHost, urls: Urls, app: TwinApp, webhooks: WebhookSender) {
    this.state = state;
    this.git = git;
    this.urls = urls;
    this.app = app;
    this.webhooks = webhooks;
  }

  /** Work GitHub does after answering (a mergeability check); a failed one leaves its answer unknown. */
  background(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.#background.delete(tracked));
    this.#background.add(tracked);
  }

  /** Resolves once the background work started so far is done. */
  async settled(): Promise<void> {
    await Promise.all([...this.#background]);
  }

  /**
   * The repository named by the request, if the actor may see it and, for `need`, change it.
   * GitHub answers 404 rather than 403 for a repository the actor cannot see.
   */
  repoFor(input: HandlerInput, need: Permission = 'read', scope: AppScope = 'metadata'): TwinRepo {
    const repo = this.state.repo(input.params.owner ?? '', input.params.repo ?? '');
    const actor = input.actor;
    if (!repo || !actor || actor.kind === 'app') throw new TwinError(404, 'Not Found');
    if (actor.kind === 'installation') {
      if (actor.installation.account.login !== repo.owner.login) throw new TwinError(404, 'Not Found');
      if (actor.scope.repositories && !actor.scope.repositories.includes(repo.name))
        throw new TwinError(404, 'Not Found');
      if (need !== 'read' && scope === 'metadata') {
        throw new TwinError(403, 'Resource not accessible by integration');
      }
      // A token minted without permissions has the installation's: what the app asked for.
      const granted = (actor.scope.permissions ?? (actor.app ?? this.app).permissions)[scope];
      if (scope !== 'metadata' && (!granted || (need !== 'read' && granted !== 'write'))) {
        throw new TwinError(403, 'Resource not accessible by integration');
      }
      return repo;
    }
    const permission = this.state.permissionOf(repo, actor.user.login);
    if (permission === 'none') throw new TwinError(404, 'Not Found');
    if (PERMISSION_RANK[permission] < PERMISSION_RANK[need]) {
      throw new TwinError(403, `Must have ${need} access to this repository.`);
    }
    return repo;
  }

  issueFor(repo: TwinRepo, input: HandlerInput, key = 'issue_number'): TwinIssue {
    const issue = repo.issues.get(Number(input.params[key]));
    if (!issue) throw new TwinError(404, 'Not Found');
    return issue;
  }

  /**
   * Opens an issue, or a pull request when `pull` is given (GitHub numbers both from one
   * sequence), from the request's title and body, and stores it in the repository.
   */
  openIssue(repo: TwinRepo, input: HandlerInput, pull?: Omit<TwinPull, 'id' | 'number'>): TwinIssue {
    const now = new Date();
    const number = repo.nextNumber++;
    const issue: TwinIssue = {
      id: this.state.nextId(),
      number,
      title: String(input.body.title),
      body: typeof input.body.body === 'string' ? input.body.body : null,
      state: 'open',
      stateReason: null,
      labels: [],
      user: this.actingUser(input),
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      reactions: [],
      blockedBy: [],
      pullRequest: pull ? { id: this.state.nextId(), number, ...pull } : undefined,
    };
    repo.issues.set(number, issue);
    return issue;
  }

  /** The user an actor acts as: the person, or the app's bot for an installation. */
  actingUser(input: HandlerInput) {
    const actor = input.actor;
    if (!actor || actor.kind === 'app') throw new TwinError(401, 'Requires authentication');
    return actor.user;
  }

  /** The fields every repository webhook carries. */
  envelope(repo: TwinRepo, input: HandlerInput): Record<string, unknown> {
    return this.envelopeFor(repo, this.actingUser(input));
  }

  /** The fields every repository webhook carries, for a change `sender` made (a push, say). */
  envelopeFor(repo: TwinRepo, sender: TwinUser): Record<string, unknown> {
    const installation = this.state.installationFor(repo);
    return {
      repository: repoJson(repo, this.urls),
      sender: userJson(sender, this.urls),
      ...(installation
        ? {
            installation: {
              id: installation.id,
              node_id: Buffer.from(`Installation:${installation.id}`).toString('base64'),
            },
          }
        : {}),
    };
  }

  emitIssue(
    event: 'issues',
    action: string,
    repo: TwinRepo,
    issue: TwinIssue,
    input: HandlerInput,
    extra: Record<string, unknown> = {},
  ): void {
    this.webhooks.send(event, {
      action,
      issue: issueJson(repo, issue, this.urls),
      ...extra,
      ...this.envelope(repo, input),
    });
  }
}

/** Applies GitHub's page/per_page pagination and the Link header to a list. */
export function paginate<T>(items: T[], query: URLSearchParams, baseUrl: string): HandlerResult {
  const perPage = Math.min(Number(query.get('per_page') ?? 30), 100);
  const page = Math.max(Number(query.get('page') ?? 1), 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const links: string[] = [];
  const link = (p: number, rel: string) => {
    const params = new URLSearchParams(query);
    params.set('page', String(p));
    params.set('per_page', String(perPage));
    links.push(`<${baseUrl}?${params.toString()}>; rel="${rel}"`);
  };
  if (page < last) {
    link(page + 1, 'next');
    link(last, 'last');
  }
  if (page > 1) {
    link(1, 'first');
    link(page - 1, 'prev');
  }
  return {
    status: 200,
    body: items.slice((page - 1) * perPage, page * perPage),
    ...(links.length ? { headers: { link: links.join(', ') } } : {}),
  };
}

/** GitHub's limit on issue, pull request and comment bodies. */
export const MAX_BODY_CHARACTERS = 65_536;

export function checkBodyLength(body: unknown): void {
  if (typeof body === 'string' && body.length > MAX_BODY_CHARACTERS) {
    throw new TwinError(422, 'Validation Failed', [
      {
        resource: 'Issue',
        code: 'custom',
        field: 'body',
        message: `body is too long (maximum is ${MAX_BODY_CHARACTERS} characters)`,
      },
    ]);
  }
}
