/**
 * The twin in a process of its own, as GitHub is to a real install: its git processes, its
 * request validation and its handlers run on another core and never hold up the caller's event
 * loop. In one process with an embedded database they did: starting a process forks the whole
 * caller (20–40 ms of its event loop at 500 MB), and the twin starts several per pull request.
 * For the demo; tests that look into the twin's state keep it in their own process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Octokit } from '@octokit/rest';

export interface TwinApartOptions {
  dataDir?: string | undefined;
  /** 0 or unset: a free port. */
  port?: number | undefined;
}

/** What a caller needs of the app the twin registered: enough to run Switchyard against it. */
export interface TwinApartApp {
  id: number;
  privateKey: string;
  webhookSecret: string;
}

export type ApartRequest =
  | { id: number; call: 'createUser'; login: string }
  | { id: number; call: 'install'; account: string }
  | { id: number; call: 'setWebhookUrl'; url: string | undefined }
  | { id: number; call: 'pushFiles'; owner: string; repo: string; files: Record<string, string>; message: string }
  | { id: number; call: 'stop' };

export type ApartReply = { id: number; result?: unknown; error?: string };

/** The child's first message: the twin listening, or why it could not start. */
export type ApartReady =
  { ready: { port: number; app: TwinApartApp } } | { failed: { message: string; code: string | undefined } };

const CHILD = new URL('./apart-child.ts', import.meta.url);

export class TwinApart {
  readonly app: TwinApartApp;
  readonly #child: ChildProcess;
  readonly #port: number;
  readonly #pending = new Map<number, (reply: ApartReply) => void>();
  #nextId = 1;

  private constructor(child: ChildProcess, port: number, app: TwinApartApp) {
    this.#child = child;
    this.#port = port;
    this.app = app;
    child.on('message', (reply: ApartReply) => {
      this.#pending.get(reply.id)?.(reply);
      this.#pending.delete(reply.id);
    });
    child.once('exit', (code, signal) => {
      for (const resolve of this.#pending.values())
        resolve({ id: 0, error: `the twin's process exited (${signal ?? String(code)})` });
      this.#pending.clear();
    });
  }

  /** Starts the twin's process; fails as `GitHubTwin.start` does (an `EADDRINUSE` error keeps its code). */
  static async start(options: TwinApartOptions = {}): Promise<TwinApart> {
    const child = fork(CHILD, [JSON.stringify(options)], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const first = await new Promise<ApartReady>((resolve, reject) => {
      child.once('message', (message: ApartReady) => resolve(message));
      child.once('exit', (code, signal) =>
        reject(new Error(`the twin's process exited before it listened (${signal ?? String(code)})`)),
      );
    });
    if ('failed' in first) {
      child.kill();
      throw Object.assign(new Error(first.failed.message), { code: first.failed.code });
    }
    return new TwinApart(child, first.ready.port, first.ready.app);
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** `host:port`, the value for the app's `GHE_HOST`. */
  get host(): string {
    return `127.0.0.1:${this.#port}`;
  }

  get apiUrl(): string {
    return `${this.url}/api/v3`;
  }

  /** Creates a user and returns a personal access token for it. */
  async createUser(login: string): Promise<{ token: string }> {
    return { token: (await this.#ask({ id: 0, call: 'createUser', login })) as string };
  }

  /** An Octokit client acting as `login`, with a fresh personal access token. */
  async octokit(login: string): Promise<Octokit> {
    const { token } = await this.createUser(login);
    return new Octokit({ auth: token, baseUrl: this.apiUrl, log: { debug() {}, info() {}, warn() {}, error() {} } });
  }

  /** Installs the app on every repository of `account`. */
  async install(account: string): Promise<number> {
    return (await this.#ask({ id: 0, call: 'install', account })) as number;
  }

  async setWebhookUrl(url: string | undefined): Promise<void> {
    await this.#ask({ id: 0, call: 'setWebhookUrl', url });
  }

  /** Pushes `files` to the repository's default branch with plain git, as `pushFiles` of `./seed` does. */
  async pushFiles(owner: string, repo: string, files: Record<string, string>, message: string): Promise<void> {
    await this.#ask({ id: 0, call: 'pushFiles', owner, repo, files, message });
  }

  /** Stops the twin and its process; returns what the twin found wrong in the requests it was sent. */
  async stop(): Promise<string[]> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    const violations = (await this.#ask({ id: 0, call: 'stop' }).catch(() => [])) as string[];
    await exited;
    return violations;
  }

  #ask(request: ApartRequest): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, (reply) =>
        reply.error === undefined ? resolve(reply.result) : reject(new Error(reply.error)),
      );
      this.#child.send({ ...request, id });
    });
  }
}
