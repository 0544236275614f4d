/**
 * The GitHub twin: a local stand-in for the part of GitHub's REST API, git hosting and webhooks
 * that Switchyard uses. It answers under `/api/v3` (reached via `GHE_HOST`/`GHE_PROTOCOL`, as
 * GitHub Enterprise is), validates every request against GitHub's OpenAPI description, serves
 * repositories over git's smart HTTP protocol, and sends signed webhooks on each state change.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Octokit } from '@octokit/rest';
import { parse as parseYaml } from 'yaml';
import { appJwt, checkAppJwt, generateAppKeyPair, githubToken } from './auth.ts';
import { TwinCore, TwinError, type Handler, type HandlerInput } from './core.ts';
import { GitHost } from './git.ts';
import { appHandlers, installationJson } from './handlers/apps.ts';
import { issueHandlers } from './handlers/issues.ts';
import { pullHandlers, renderPull } from './handlers/pulls.ts';
import { branchesMoved, branchesMovedBy } from './branches.ts';
import { contentHandlers } from './handlers/contents.ts';
import { checkHandlers } from './handlers/checks.ts';
import { repoHandlers } from './handlers/repos.ts';
import { RestDescription } from './openapi.ts';
import { userJson } from './payloads.ts';
import {
  PERMISSION_RANK,
  TwinState,
  type Actor,
  type Permission,
  type TwinApp,
  type TwinAppIdentity,
  type TwinUser,
} from './state.ts';
import { WebhookSender } from './webhooks.ts';

export { sign } from './webhooks.ts';
export type { Delivery } from './webhooks.ts';

/** The twin app's OAuth client, the same in every twin (a test passes it as GITHUB_CLIENT_ID and _SECRET). */
export const TWIN_OAUTH_CLIENT = { id: 'Iv1.twin0123456789ab', secret: 'twin-client-secret-5f2e9d' } as const;

const HANDLERS: Record<string, Handler> = {
  ...appHandlers,
  ...repoHandlers,
  ...issueHandlers,
  ...pullHandlers,
  ...contentHandlers,
  ...checkHandlers,
};
const API_PREFIX = '/api/v3';

export interface RecordedRequest {
  method: string;
  path: string;
  operationId: string | undefined;
  status: number;
  actor: string | undefined;
}

export interface TwinOptions {
  /** Where the bare repositories live; a temporary folder when omitted. */
  dataDir?: string;
  port?: number;
  /** The app's webhook URL; can be set later with `setWebhookUrl`. */
  webhookUrl?: string;
  /** app.yml to read the subscribed events and permissions from (default: the nearest above the twin). */
  manifestPath?: string;
  /** Who the app is: its id, slug, name and the account that owns it. */
  app?: { id?: number; slug?: string; name?: string; owner?: string };
}

let sharedDescription: RestDescription | undefined;

export class GitHubTwin {
  readonly state = new TwinState();
  readonly violations: string[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly app: TwinApp;
  readonly #server: Server;
  readonly #description: RestDescription;
  readonly #ownsDataDir: boolean;
  #core: TwinCore | undefined;
  #git: GitHost;
  #port = 0;

  readonly dataDir: string;

  private constructor(
    dataDir: string,
    ownsDataDir: boolean,
    events: string[],
    permissions: Record<string, string>,
    webhookUrl: string | undefined,
    identity: TwinOptions['app'] = {},
  ) {
    this.dataDir = dataDir;
    this.#ownsDataDir = ownsDataDir;
    sharedDescription ??= RestDescription.load();
    this.#description = sharedDescription;
    this.#git = new GitHost(join(dataDir, 'git'));
    const keys = generateAppKeyPair();
    const owner = this.state.addUser(identity.owner ?? 'switchyard-dev');
    const slug = identity.slug ?? 'switchyard';
    this.app = {
      id: identity.id ?? 4242,
      slug,
      name: identity.name ?? 'Switchyard',
      owner,
      bot: this.state.addUser(`${slug}[bot]`, 'Bot'),
      privateKey: keys.privateKey,
      publicKey: keys.publicKey,
      webhookSecret: githubToken('ghs').replace('ghs_', 'whsec_'),
      webhookUrl,
      events,
      permissions,
      clientId: TWIN_OAUTH_CLIENT.id,
      clientSecret: TWIN_OAUTH_CLIENT.secret,
    };
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        this.violations.push(`twin crashed on ${req.method} ${req.url}: ${String(error)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  static async start(options: TwinOptions = {}): Promise<GitHubTwin> {
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'switchyard-twin-')));
    const manifestPath = options.manifestPath ?? findManifest();
    const manifest = parseYaml(await readFile(manifestPath, 'utf8')) as {
      default_events?: string[];
      default_permissions?: Record<string, string>;
    };
    const twin = new GitHubTwin(
      dataDir,
      options.dataDir === undefined,
      manifest.default_events ?? [],
      manifest.default_permissions ?? {},
      options.webhookUrl,
      options.app,
    );
    // Longer than clients keep idle sockets, so a reused socket is never closed under a request.
    twin.#server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      twin.#server.once('error', reject);
      twin.#server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    twin.#port = (twin.#server.address() as AddressInfo).port;
    const urls = { api: `${twin.url}${API_PREFIX}`, web: twin.url };
    const webhooks = new WebhookSender(
      () => ({ url: twin.app.webhookUrl, secret: twin.app.webhookSecret, appId: twin.app.id, events: twin.app.events }),
      (message) => twin.violations.push(message),
    );
    twin.#core = new TwinCore(twin.state, twin.#git, urls, twin.app, webhooks);
    return twin;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** `host:port`, the value for the app's `GHE_HOST`. */
  get host(): string {
    return `127.0.0.1:${this.#port}`;
  }

  get apiUrl(): string {
    return `${this.url}${API_PREFIX}`;
  }

  get deliveries() {
    return this.#webhooks.deliveries;
  }

  get #webhooks(): WebhookSender {
    return this.#coreOrThrow.webhooks;
  }

  get #coreOrThrow(): TwinCore {
    if (!this.#core) throw new Error('twin not started');
    return this.#core;
  }

  setWebhookUrl(url: string | undefined): void {
    this.app.webhookUrl = url;
  }

  /** Creates a user and returns a personal access token for it. */
  createUser(login: string, type: TwinUser['type'] = 'User'): { user: TwinUser; token: string } {
    const user = this.state.addUser(login, type);
    const token = githubToken('ghp');
    this.state.userTokens.set(token, user);
    return { user, token };
  }

  /** An Octokit client acting as `login`, created with a fresh personal access token. */
  octokit(login: string): Octokit {
    const { token } = this.createUser(login);
    return new Octokit({ auth: token, baseUrl: this.apiUrl, log: { debug() {}, info() {}, warn() {}, error() {} } });
  }

  /** An Octokit client that sends `token` as is: an installation token, say. */
  octokitWithToken(token: string): Octokit {
    return new Octokit({ auth: token, baseUrl: this.apiUrl, log: { debug() {}, info() {}, warn() {}, error() {} } });
  }

  /** An Octokit client authenticated as the app itself (a JWT signed with its private key). */
  appOctokit(): Octokit {
    return new Octokit({
      auth: appJwt(this.app.id, this.app.privateKey),
      baseUrl: this.apiUrl,
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
  }

  setPermission(owner: string, repo: string, login: string, permission: Permission): void {
    const found = this.state.repo(owner, repo);
    if (!found) throw new Error(`no repository ${owner}/${repo}`);
    this.state.addUser(login);
    found.collaborators.set(login, permission);
  }

  /**
   * Installs another GitHub App on every repository of `account` (a CI that reports check runs,
   * say) and returns an installation token of it: what it makes is shown as that app's, and the
   * token reaches only what its permissions allow.
   */
  installOtherApp(
    account: string,
    options: { slug: string; name?: string; permissions?: Record<string, string> },
  ): { app: TwinAppIdentity; token: string; octokit: Octokit } {
    const owner = this.state.addUser(account);
    const app: TwinAppIdentity = {
      id: this.state.nextId(),
      slug: options.slug,
      name: options.name ?? options.slug,
      owner,
      bot: this.state.addUser(`${options.slug}[bot]`, 'Bot'),
      permissions: options.permissions ?? { checks: 'write', statuses: 'write', contents: 'read', metadata: 'read' },
      events: [],
    };
    const installation = { id: this.state.nextId(), account: owner };
    const token = githubToken('ghs');
    this.state.installationTokens.set(token, {
      installation,
      expiresAt: new Date(Date.now() + 24 * 60 * 60 * 1000),
      scope: {},
      app,
    });
    return { app, token, octokit: this.octokitWithToken(token) };
  }

  /** Installs the app on every repository of `account`, announcing it with `installation.created`. */
  install(account: string): number {
    const owner = this.state.addUser(account);
    const installation = { id: this.state.nextId(), account: owner };
    this.state.installations.set(installation.id, installation);
    return installation.id;
  }

  /**
   * Announces an installation with `installation.created`, listing the account's repositories,
   * as GitHub does when someone installs the app (the app must be listening by then).
   */
  announceInstallation(installationId: number): void {
    const core = this.#coreOrThrow;
    const installation = this.state.installations.get(installationId);
    if (!installation) throw new Error(`no installation ${installationId}`);
    const repositories = [...this.state.repos.values()]
      .filter((r) => r.owner.login === installation.account.login)
      .map((r) => ({
        id: r.id,
        node_id: Buffer.from(`Repository:${r.id}`).toString('base64'),
        name: r.name,
        full_name: `${r.owner.login}/${r.name}`,
        private: false,
      }));
    core.webhooks.send('installation', {
      action: 'created',
      installation: installationJson(core, installation),
      repositories,
      requester: null,
      sender: userJson(installation.account, core.urls),
    });
  }

  /** Resolves once every webhook sent so far has been answered by the app. */
  async idle(): Promise<void> {
    await this.#core?.settled();
    await this.#webhooks.idle();
  }

  /** Requests counted by operation, for the request budget figures. */
  countRequests(filter: (r: RecordedRequest) => boolean = () => true): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const request of this.requests.filter(filter)) {
      const key = request.operationId ?? `${request.method} ${request.path}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  async stop(): Promise<void> {
    await this.#core?.settled();
    await this.#webhooks.idle().catch(() => undefined);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (this.#ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  #resolveToken(token: string): Actor | undefined {
    if (token.startsWith('ghp_') || token.startsWith('ghu_')) {
      const user = this.state.userTokens.get(token);
      return user ? { kind: 'user', user } : undefined;
    }
    if (token.startsWith('ghs_')) {
      const found = this.state.installationTokens.get(token);
      if (!found || found.expiresAt.getTime() < Date.now()) return undefined;
      return {
        kind: 'installation',
        installation: found.installation,
        user: found.app?.bot ?? this.app.bot,
        scope: found.scope,
        app: found.app,
      };
    }
    if (token.split('.').length === 3 && !checkAppJwt(token, this.app.publicKey, this.app.id)) return { kind: 'app' };
    return undefined;
  }

  #actorFromHeader(header: string | undefined): Actor | undefined | 'invalid' {
    if (!header) return undefined;
    const [scheme, value = ''] = header.split(' ');
    let token = value;
    if (scheme?.toLowerCase() === 'basic') token = Buffer.from(value, 'base64').toString().split(':')[1] ?? '';
    return this.#resolveToken(token) ?? 'invalid';
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname.startsWith(`${API_PREFIX}/`) || url.pathname === API_PREFIX) {
      await this.#api(req, res, url);
      return;
    }
    if (req.method === 'POST' && /^(\/organizations\/[^/]+)?\/settings\/apps\/new$/.test(url.pathname)) {
      await this.#newAppFromManifest(req, res);
      return;
    }
    if (url.pathname === '/login/oauth/authorize') {
      await this.#authorize(req, res, url);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      await this.#accessToken(req, res);
      return;
    }
    const gitPath = /^\/([^/]+)\/([^/]+)\.git(\/.*)$/.exec(url.pathname);
    if (gitPath) {
      this.#gitRequest(req, res, url, gitPath[1] ?? '', gitPath[2] ?? '', gitPath[3] ?? '');
      return;
    }
    res.writeHead(404).end('Not Found');
  }

  /**
   * GitHub's page for registering an app from a manifest, as the form of Probot's set-up wizard
   * posts to it: the person confirms, and GitHub redirects to the manifest's `redirect_url` with
   * a code that `POST /app-manifests/{code}/conversions` turns into the app's credentials.
   */
  async #newAppFromManifest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    let manifest: Record<string, unknown>;
    try {
      manifest = JSON.parse(form.get('manifest') ?? '') as Record<string, unknown>;
    } catch {
      res.writeHead(422, { 'content-type': 'text/plain' }).end('The manifest is not valid JSON.');
      return;
    }
    const redirect = typeof manifest.redirect_url === 'string' ? manifest.redirect_url : undefined;
    if (!redirect) {
      res.writeHead(422, { 'content-type': 'text/plain' }).end('The manifest has no redirect_url.');
      return;
    }
    const code = randomBytes(10).toString('hex');
    this.state.manifestCodes.set(code, manifest);
    const target = new URL(redirect);
    target.searchParams.set('code', code);
    res.writeHead(302, { location: target.toString() }).end();
  }

  /**
   * GitHub's "Authorize application" page of the OAuth web flow. The twin has no browser session,
   * so the page asks who is signing in; confirming redirects to `redirect_uri` with a code and
   * the caller's `state`.
   */
  async #authorize(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const form = req.method === 'POST' ? new URLSearchParams((await readBody(req)).toString('utf8')) : url.searchParams;
    const clientId = form.get('client_id');
    const redirect = form.get('redirect_uri');
    if (clientId !== this.app.clientId || !redirect) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('The application does not exist, or redirect_uri is missing.');
      return;
    }
    if (req.method !== 'POST') {
      const hidden = ['client_id', 'redirect_uri', 'state']
        .map((name) => `<input type="hidden" name="${name}" value="${encodeURIComponent(form.get(name) ?? '')}">`)
        .join('');
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          `<!doctype html><title>Authorize ${this.app.name}</title><form method="post"><label>Sign in to GitHub as <input name="login"></label>${hidden}<button>Authorize ${this.app.name}</button></form>`,
        );
      return;
    }
    const user = this.state.addUser(form.get('login') ?? 'ghost');
    const code = randomBytes(10).toString('hex');
    this.state.oauthCodes.set(code, user);
    const target = new URL(decodeURIComponent(redirect));
    target.searchParams.set('code', code);
    target.searchParams.set('state', decodeURIComponent(form.get('state') ?? ''));
    res.writeHead(302, { location: target.toString() }).end();
  }

  /** Exchanges an OAuth code for a user-to-server token (`ghu_…`), with the app's client secret. */
  async #accessToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = (await readBody(req)).toString('utf8');
    const form = (req.headers['content-type'] ?? '').includes('json')
      ? new URLSearchParams(Object.entries(JSON.parse(text || '{}') as Record<string, string>))
      : new URLSearchParams(text);
    const user = this.state.oauthCodes.get(form.get('code') ?? '');
    const answer = (body: object) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (form.get('client_id') !== this.app.clientId || form.get('client_secret') !== this.app.clientSecret)
      return void answer({ error: 'incorrect_client_credentials' });
    if (!user)
      return void answer({
        error: 'bad_verification_code',
        error_description: 'The code passed is incorrect or expired.',
      });
    this.state.oauthCodes.delete(form.get('code') ?? '');
    const token = githubToken('ghu');
    this.state.userTokens.set(token, user);
    answer({ access_token: token, token_type: 'bearer', scope: '' });
  }

  #gitRequest(req: IncomingMessage, res: ServerResponse, url: URL, owner: string, name: string, rest: string): void {
    const repo = this.state.repo(owner, name);
    const actor = this.#actorFromHeader(req.headers.authorization);
    const unauthorized = () => res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' }).end();
    if (!repo) return void res.writeHead(404).end('Repository not found.');
    if (!actor || actor === 'invalid' || actor.kind === 'app') return void unauthorized();
    const pushing = rest === '/git-receive-pack' || url.searchParams.get('service') === 'git-receive-pack';
    if (actor.kind === 'installation') {
      if (actor.installation.account.login !== repo.owner.login)
        return void res.writeHead(404).end('Repository not found.');
      if (actor.scope.repositories && !actor.scope.repositories.includes(repo.name))
        return void res.writeHead(404).end('Repository not found.');
      const contents = actor.scope.permissions ? actor.scope.permissions.contents : 'write';
      if (!contents || (pushing && contents !== 'write'))
        return void res.writeHead(403).end(`Permission to ${owner}/${name}.git denied to ${actor.user.login}.`);
    } else {
      const need: Permission = pushing ? 'write' : 'read';
      if (PERMISSION_RANK[this.state.permissionOf(repo, actor.user.login)] < PERMISSION_RANK[need]) {
        return void res.writeHead(403).end(`Permission to ${owner}/${name}.git denied to ${actor.user.login}.`);
      }
    }
    const serve = () =>
      this.#git.serve(req, res, `/${repo.owner.login}/${repo.name}.git${rest}`, url.search.slice(1), actor.user.login);
    if (rest !== '/git-receive-pack') return serve();
    // A push: the branches it moved get their events once git has answered, as on GitHub.
    const core = this.#coreOrThrow;
    core.background(
      branchesMovedBy(core, repo, async () => {
        await new Promise<void>((resolve) => {
          res.on('close', resolve);
          serve();
        });
        // pushed_at moves with every push (a push may not change a ref; close enough).
        repo.pushedAt = new Date();
      }).then((moves) => branchesMoved(core, repo, moves, actor.user, renderPull)),
    );
  }

  async #api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.slice(API_PREFIX.length) || '/';
    const method = req.method ?? 'GET';
    const record: RecordedRequest = { method, path, operationId: undefined, status: 0, actor: undefined };
    this.requests.push(record);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const payload = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-media-type': 'github.v3',
        ...headers,
      });
      res.end(payload);
    };
    const violation = (status: number, message: string, details: string[] = []) => {
      this.violations.push(`${method} ${path}: ${message}${details.length ? `\n  - ${details.join('\n  - ')}` : ''}`);
      send(status, {
        message: `GitHub twin: ${message}`,
        errors: details,
        documentation_url: 'https://docs.github.com/rest',
      });
    };

    const matched = this.#description.match(method, path);
    if (!matched) return violation(404, "no such endpoint in GitHub's REST API");
    record.operationId = matched.operation.operationId;

    const raw = await readBody(req);
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return violation(400, 'request body is not valid JSON');
      }
    }
    const problems = this.#description.validate(matched.operation, {
      pathParams: matched.pathParams,
      query: url.searchParams,
      body,
      contentType: req.headers['content-type'],
    });
    if (problems.length > 0) return violation(422, `request does not match ${matched.operation.operationId}`, problems);

    const handler = HANDLERS[matched.operation.operationId];
    if (!handler) return violation(501, `${matched.operation.operationId} is not implemented by the twin`);

    const actor = this.#actorFromHeader(req.headers.authorization);
    if (actor === 'invalid') return send(401, { message: 'Bad credentials' });
    record.actor = actor?.kind === 'app' ? 'app' : actor?.user.login;
    const input: HandlerInput = {
      actor,
      params: matched.pathParams,
      query: url.searchParams,
      body: (body ?? {}) as Record<string, unknown>,
      headers: req.headers,
    };
    try {
      const result = await handler(this.#coreOrThrow, input);
      if (result.raw) {
        record.status = result.status;
        res
          .writeHead(result.status, { 'content-type': result.raw.contentType, ...result.headers })
          .end(result.raw.text);
        return;
      }
      send(result.status, result.body, result.headers);
    } catch (error) {
      if (error instanceof TwinError) return send(error.status, { message: error.message, errors: error.errors });
      throw error;
    }
  }

  /** The JSON GitHub uses for a user, for tests that build payloads by hand. */
  userJson(login: string) {
    const user = this.state.users.get(login);
    if (!user) throw new Error(`no user ${login}`);
    return userJson(user, this.#coreOrThrow.urls);
  }
}

/** app.yml at the project root, from the sources (test/twin) or the build (dist/test/twin). */
function findManifest(): string {
  for (const relative of ['../../app.yml', '../../../app.yml']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('app.yml not found next to the twin');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
