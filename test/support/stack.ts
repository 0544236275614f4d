/**
 * A whole Switchyard against a GitHub twin, in one process: the twin, the app with its job engine
 * on a fresh PGlite, a repository with files, and an Octokit acting as its maintainer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Octokit } from '@octokit/rest';
import type { AgentCatalogue } from '../../src/config/agents.ts';
import { loadServerSettings } from '../../src/config/server.ts';
import { createLogger } from '../../src/log/logger.ts';
import { Redactor } from '../../src/log/redact.ts';
import { STATUS_MARKER } from '../../src/github/status-comment.ts';
import { startSwitchyard, type Switchyard } from '../../src/roles/index.ts';
import { AttemptStore } from '../../src/store/attempts.ts';
import { BatchStore } from '../../src/store/batches.ts';
import { openDatabase } from '../../src/store/db.ts';
import { Store } from '../../src/store/runs.ts';
import type { RunRecord } from '../../src/domain/run.ts';
import { ProcessStack, freshDatabase } from './processes-stack.ts';
import { GitHubTwin } from '@switchyard/github-twin';
import { pushFiles } from './git.ts';

export interface Stack {
  twin: GitHubTwin;
  /** embedded: one in-process Switchyard on PGlite; postgres: a web and two worker processes. */
  mode: 'embedded' | 'postgres';
  /** The in-process app (embedded mode only). */
  app: Switchyard | undefined;
  /** The separate processes (postgres mode only). */
  processes: ProcessStack | undefined;
  /** Switchyard's records, read from the same database the app uses. */
  store: Store;
  /** Each run's attempts and the workers that took them. */
  attempts: AttemptStore;
  batches: BatchStore;
  /** Octokit acting as the repository's owner (admin). */
  gh: Octokit;
  owner: string;
  repo: string;
  /** Data directories of every Switchyard process (mirrors, worktrees, logs). */
  dataDirs: string[];
  /** Every log line the app wrote, as written (after redaction). */
  logs: string[];
  stop(): Promise<void>;
}

export interface StackOptions {
  agents?: AgentCatalogue;
  concurrency?: number;
  files?: Record<string, string>;
  env?: Record<string, string>;
}

export const OWNER = 'octo-org';
export const REPO = 'railway';

/** The mode the e2e suite runs in: SWITCHYARD_TEST_MODE=postgres runs it against PostgreSQL. */
export const TEST_MODE: 'embedded' | 'postgres' =
  process.env.SWITCHYARD_TEST_MODE === 'postgres' ? 'postgres' : 'embedded';

async function prepareTwin(options: StackOptions): Promise<{ twin: GitHubTwin; gh: Octokit }> {
  const twin = await GitHubTwin.start();
  const gh = twin.octokit(OWNER);
  await gh.rest.repos.createForAuthenticatedUser({ name: REPO, auto_init: true });
  await pushFiles(
    twin,
    OWNER,
    REPO,
    options.files ?? { 'src/greeting.txt': 'hello\n', 'src/config.ts': 'export const port = 3000;\n' },
  );
  twin.install(OWNER);
  return { twin, gh };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  return TEST_MODE === 'postgres' ? startProcessStack(options) : startEmbeddedStack(options);
}

async function startEmbeddedStack(options: StackOptions): Promise<Stack> {
  const { twin, gh } = await prepareTwin(options);
  const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-app-'));
  const settings = loadServerSettings({
    APP_ID: String(twin.app.id),
    PRIVATE_KEY: twin.app.privateKey,
    WEBHOOK_SECRET: twin.app.webhookSecret,
    GHE_HOST: twin.host,
    GHE_PROTOCOL: 'http',
    PORT: '0',
    HOST: '127.0.0.1',
    SWITCHYARD_DATA_DIR: dataDir,
    SWITCHYARD_CONCURRENCY: String(options.concurrency ?? 3),
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'json',
    SWITCHYARD_BATCH_WINDOW: '0',
    SWITCHYARD_STATUS_INTERVAL: '1s',
    // The twin has no secondary rate limits; label-to-pull-request.test.ts keeps Probot's pacing on.
    SWITCHYARD_GITHUB_PACING: 'off',
    PATH: process.env.PATH,
    ...options.env,
  });
  settings.agents = { ...settings.agents, ...options.agents };
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  const log = createLogger({ level: 'debug', format: 'json', redactor: new Redactor(), destination });
  const app = await startSwitchyard({ settings, log });
  twin.setWebhookUrl(`${app.web?.url ?? ''}${settings.webhookPath}`);
  return {
    twin,
    mode: 'embedded',
    app,
    processes: undefined,
    store: app.store,
    attempts: new AttemptStore(app.db),
    batches: app.batches,
    gh,
    owner: OWNER,
    repo: REPO,
    dataDirs: [dataDir],
    logs,
    async stop() {
      await app.stop({ graceMs: 0 });
      await twin.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function startProcessStack(options: StackOptions): Promise<Stack> {
  const baseUrl = process.env.SWITCHYARD_TEST_DATABASE_URL;
  if (!baseUrl)
    throw new Error(
      'SWITCHYARD_TEST_MODE=postgres needs SWITCHYARD_TEST_DATABASE_URL (a PostgreSQL server the tests may create databases on)',
    );
  const { twin, gh } = await prepareTwin(options);
  const database = await freshDatabase(baseUrl);
  const processes = new ProcessStack({
    twin,
    databaseUrl: database.url,
    agents: options.agents ?? {},
    concurrency: options.concurrency ?? 3,
    env: options.env ?? {},
  });
  await processes.start('web', 'web');
  await Promise.all([processes.start('worker-1', 'worker'), processes.start('worker-2', 'worker')]);
  twin.setWebhookUrl(await processes.webhookUrl());
  const db = await openDatabase({ databaseUrl: database.url, dataDir: '' });
  return {
    twin,
    mode: 'postgres',
    app: undefined,
    processes,
    store: new Store(db),
    attempts: new AttemptStore(db),
    batches: new BatchStore(db),
    gh,
    owner: OWNER,
    repo: REPO,
    dataDirs: processes.dataDirs,
    logs: processes.logs,
    async stop() {
      await processes.stop();
      await db.close();
      await twin.stop();
      await database.drop();
    },
  };
}

/** The latest run of an issue, from the store. */
export async function lastRun(stack: Stack, issueNumber: number): Promise<RunRecord | undefined> {
  return (await stack.store.listRuns()).filter((r) => r.issueNumber === issueNumber).at(-1);
}

/** The body of the issue's status comment, if Switchyard wrote one. */
export async function statusComment(stack: Stack, issueNumber: number): Promise<string | undefined> {
  const { data } = await stack.gh.rest.issues.listComments({
    owner: stack.owner,
    repo: stack.repo,
    issue_number: issueNumber,
  });
  const status = data.filter((c) => c.body?.startsWith(STATUS_MARKER));
  if (status.length > 1) throw new Error(`#${issueNumber} has ${status.length} status comments`);
  return status[0]?.body;
}

/** Waits until the issue's status comment shows `text`, and returns it. */
export function statusShowing(
  stack: Stack,
  issueNumber: number,
  text: string | RegExp,
  timeoutMs = 45_000,
): Promise<string> {
  let seen: string | undefined;
  return eventually(
    async () => {
      const body = (seen = await statusComment(stack, issueNumber));
      return body !== undefined && (typeof text === 'string' ? body.includes(text) : text.test(body))
        ? body
        : undefined;
    },
    timeoutMs,
    `status comment on #${issueNumber} showing ${String(text)}`,
  ).catch((error: unknown) => {
    // What it showed instead is what tells a flake from a bug.
    throw new Error(`${(error as Error).message}; it shows:\n${seen ?? '(no status comment)'}`);
  });
}

/** Comments on an issue other than the status comment. */
export async function otherComments(stack: Stack, issueNumber: number): Promise<string[]> {
  const { data } = await stack.gh.rest.issues.listComments({
    owner: stack.owner,
    repo: stack.repo,
    issue_number: issueNumber,
  });
  return data.filter((c) => !c.body?.startsWith(STATUS_MARKER)).map((c) => c.body ?? '');
}

export async function openIssue(stack: Stack, title: string, body: string): Promise<number> {
  const { data } = await stack.gh.rest.issues.create({ owner: stack.owner, repo: stack.repo, title, body });
  return data.number;
}

export async function addLabel(
  stack: Stack,
  issueNumber: number,
  label: string,
  as: Octokit = stack.gh,
): Promise<void> {
  await as.rest.issues.addLabels({ owner: stack.owner, repo: stack.repo, issue_number: issueNumber, labels: [label] });
}

/** Polls `probe` until it returns a value that is not `undefined`, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}
