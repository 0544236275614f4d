/**
 * `switchyard demo`: the GitHub twin and Switchyard with embedded defaults, a sample repository
 * with issues whose bodies carry diffs, `agent:patch` on each, live progress, and the figures.
 * The twin runs in a process of its own, as GitHub runs elsewhere: its work is not Switchyard's.
 * The last line of output is one JSON object.
 */
import { RUN_STEPS, type StepTimings } from '../domain/steps.ts';
import { mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Listr } from 'listr2';
import { loadServerSettings } from '../config/server.ts';
import { formatDuration } from '../domain/duration.ts';
import { createLogger } from '../log/logger.ts';
import { Redactor } from '../log/redact.ts';
import { checkSandbox } from '../runner/sandbox.ts';
import { startSwitchyard, type Switchyard } from '../roles/index.ts';
import type { RunRecord } from '../domain/run.ts';
import { TwinApart } from '@switchyard/github-twin/apart';
import { sampleFiles, sampleIssues } from './sample-repo.ts';

export interface DemoOptions {
  issues: number;
  keep: boolean;
  verbose: boolean;
  dataDir: string;
  /** The twin's port; unset: 4010, or a free one when 4010 is taken. */
  port: number | undefined;
  /** How many source files the sample repository holds. */
  repoFiles: number;
  /** Runs at once; the patch agent is light, so by default every issue of the batch. */
  concurrency: number;
  /** Pace writes as against github.com; off by default, since the twin has no secondary limits. */
  githubPacing: boolean;
}

export interface DemoFigures {
  issues: number;
  pull_requests: number;
  wall_s: number;
  sum_run_s: number;
  overhead_p50_ms: number;
  /** Each step's p50 over the batch's runs: where the overhead goes. */
  steps_p50_ms: StepTimings;
  repo_files: number;
  repo_kb: number;
}

const OWNER = 'demo-org';
const REPO = 'railway-yard';
const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'stalled', 'over_limit', 'cancelled']);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export async function runDemo(options: DemoOptions): Promise<number> {
  const dataDir = resolve(options.dataDir);
  await rm(dataDir, { recursive: true, force: true });
  const twin = await startTwin(`${dataDir}/twin`, options.port);
  const maintainer = await twin.octokit(OWNER);
  const files = sampleFiles(options.repoFiles);
  await maintainer.rest.repos.createForAuthenticatedUser({
    name: REPO,
    auto_init: true,
    description: 'Switchyard demo',
  });
  await twin.pushFiles(OWNER, REPO, files, 'Add the yard');
  await twin.install(OWNER);

  const sandbox = process.env.SWITCHYARD_SANDBOX ?? (await demoSandbox(`${dataDir}/app`));
  const settings = loadServerSettings({
    ...process.env,
    SWITCHYARD_SANDBOX: sandbox,
    APP_ID: String(twin.app.id),
    PRIVATE_KEY: twin.app.privateKey,
    WEBHOOK_SECRET: twin.app.webhookSecret,
    GHE_HOST: twin.host,
    GHE_PROTOCOL: 'http',
    PORT: options.keep ? String(Number(new URL(twin.url).port) + 1) : '0',
    HOST: '127.0.0.1',
    SWITCHYARD_DATA_DIR: `${dataDir}/app`,
    DATABASE_URL: undefined,
    SWITCHYARD_GITHUB_PACING: options.githubPacing ? 'on' : 'off',
    SWITCHYARD_CONCURRENCY: String(options.concurrency),
    // The demo labels its issues within a second: one batch, planned one second after the first label.
    SWITCHYARD_BATCH_WINDOW: '1s',
  });
  const redactor = new Redactor();
  const log = createLogger({ level: options.verbose ? 'info' : 'warn', format: 'pretty', redactor, fd: 2 });
  const app = await startSwitchyard({ settings, log });
  await twin.setWebhookUrl(`${app.web?.url ?? ''}${settings.webhookPath}`);

  const issues = sampleIssues(options.issues);
  const numbers: number[] = [];
  for (const issue of issues) {
    const { data } = await maintainer.rest.issues.create({
      owner: OWNER,
      repo: REPO,
      title: issue.title,
      body: issue.body,
    });
    numbers.push(data.number);
  }
  const labelledAt = Date.now();
  await Promise.all(
    numbers.map((issue_number) =>
      maintainer.rest.issues.addLabels({ owner: OWNER, repo: REPO, issue_number, labels: ['agent:patch'] }),
    ),
  );

  const watcher = new RunWatcher(app, `${OWNER}/${REPO}`);
  const tasks = new Listr(
    numbers.map((number, index) => ({
      title: `#${number} ${issues[index]?.title ?? ''}`,
      task: async (_ctx: unknown, task: { title: string; output: string }) => {
        const run = await watcher.waitFor(number, (state) => {
          task.output = state;
        });
        const took =
          run.startedAt && run.finishedAt ? formatDuration(run.finishedAt.getTime() - run.startedAt.getTime()) : '';
        task.title = `#${number} ${issues[index]?.title ?? ''} → ${run.state}${run.pullRequestUrl ? ` · ${run.pullRequestUrl}` : ''} · ${took}`;
        if (run.state !== 'succeeded') throw new Error(`#${number} ${run.state}: ${run.reason ?? ''}`);
      },
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: false } },
  );
  await tasks.run().catch(() => undefined);
  watcher.stop();

  const runs = (await app.store.listRuns({ repo: `${OWNER}/${REPO}` })).filter((r) => numbers.includes(r.issueNumber));
  const figures = summarize(runs, labelledAt, files);
  printSummary(runs, figures);

  if (options.keep) {
    const { token } = await twin.createUser(OWNER);
    console.log(
      [
        '',
        'The twin and Switchyard keep running (Ctrl-C to stop):',
        `  GitHub twin API  ${twin.apiUrl}   (token for ${OWNER}: ${token})`,
        `  Repository       ${twin.url}/${OWNER}/${REPO}.git`,
        `  Switchyard       ${app.web?.url ?? ''} (webhooks at ${settings.webhookPath}, health at /healthz)`,
        `  Try: curl -s -H "Authorization: token ${token}" ${twin.apiUrl}/repos/${OWNER}/${REPO}/pulls`,
        '',
      ].join('\n'),
    );
    await new Promise<void>((done) => process.once('SIGINT', () => done()));
  }
  await app.stop();
  const violations = await twin.stop();
  if (violations.length > 0)
    process.stderr.write(`The GitHub twin found requests GitHub would refuse:\n${violations.join('\n')}\n`);
  console.log(JSON.stringify(figures));
  return runs.every((r) => r.state === 'succeeded') && figures.pull_requests === numbers.length ? 0 : 1;
}

/**
 * Follows the newest run of each issue with one read of the repository's runs per tick, however
 * many issues wait: a poll per issue would put the demo's own reads in front of Switchyard's on the
 * embedded database, which answers one query at a time, and make the figures grow with the batch.
 */
class RunWatcher {
  readonly #waiting = new Map<
    number,
    { last: string; onState: (state: string) => void; done: (run: RunRecord) => void }
  >();
  readonly #app: Switchyard;
  readonly #repo: string;
  #timer: NodeJS.Timeout | undefined;

  constructor(app: Switchyard, repo: string) {
    this.#app = app;
    this.#repo = repo;
  }

  waitFor(issueNumber: number, onState: (state: string) => void): Promise<RunRecord> {
    onState('waiting for the webhook');
    return new Promise((done) => {
      this.#waiting.set(issueNumber, { last: 'waiting for the webhook', onState, done });
      this.#timer ??= setTimeout(() => void this.#tick(), 100);
    });
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  async #tick(): Promise<void> {
    const newest = new Map<number, RunRecord>();
    // A read that fails (the store closing under a Ctrl-C) is tried again on the next tick.
    const runs = await this.#app.store.listRuns({ repo: this.#repo }).catch(() => []);
    for (const run of runs) newest.set(run.issueNumber, run);
    for (const [issueNumber, waiter] of this.#waiting) {
      const run = newest.get(issueNumber);
      if (!run) continue;
      if (run.state !== waiter.last) waiter.onState((waiter.last = run.state));
      if (TERMINAL.has(run.state)) {
        this.#waiting.delete(issueNumber);
        waiter.done(run);
      }
    }
    this.#timer = this.#waiting.size > 0 ? setTimeout(() => void this.#tick(), 200) : undefined;
  }
}

function summarize(runs: RunRecord[], labelledAt: number, files: Record<string, string>): DemoFigures {
  const durations = runs
    .filter((r) => r.startedAt && r.finishedAt)
    .map((r) => (r.finishedAt?.getTime() ?? 0) - (r.startedAt?.getTime() ?? 0));
  const overheads = runs
    .filter((r) => r.startedAt && r.finishedAt)
    .map((r) => (r.finishedAt?.getTime() ?? 0) - (r.startedAt?.getTime() ?? 0) - (r.agentMs ?? 0));
  const lastFinish = Math.max(...runs.map((r) => r.finishedAt?.getTime() ?? labelledAt));
  const bytes = Object.values(files).reduce((sum, content) => sum + Buffer.byteLength(content), 0);
  return {
    issues: runs.length,
    pull_requests: runs.filter((r) => r.pullRequestNumber !== null).length,
    wall_s: Number(((lastFinish - labelledAt) / 1000).toFixed(2)),
    sum_run_s: Number((durations.reduce((a, b) => a + b, 0) / 1000).toFixed(2)),
    overhead_p50_ms: Math.round(median(overheads)),
    steps_p50_ms: Object.fromEntries(
      RUN_STEPS.flatMap((step) => {
        const times = runs.flatMap((r) => (r.steps?.[step] === undefined ? [] : [r.steps[step]]));
        return times.length > 0 ? [[step, Math.round(median(times))]] : [];
      }),
    ),
    repo_files: Object.keys(files).length,
    repo_kb: Math.round(bytes / 1024),
  };
}

function printSummary(runs: RunRecord[], figures: DemoFigures): void {
  console.log('');
  for (const run of runs) {
    const ms = (run.finishedAt?.getTime() ?? 0) - (run.startedAt?.getTime() ?? 0);
    const result = run.pullRequestUrl ? `pull request ${run.pullRequestUrl}` : `${run.state}: ${run.reason ?? ''}`;
    console.log(`#${run.issueNumber}  ${result}  (run ${formatDuration(ms)}, agent ${run.agentMs ?? 0} ms)`);
  }
  console.log(
    `\nBatch of ${figures.issues}: wall ${figures.wall_s} s from labelling to the last pull request, ` +
      `against ${figures.sum_run_s} s of runs added up; overhead per run (all but the agent) p50 ${figures.overhead_p50_ms} ms.`,
  );
  const steps = Object.entries(figures.steps_p50_ms).map(([step, ms]) => `${step} ${ms}`);
  console.log(`Per step, p50 ms: ${steps.join(' · ')}`);
}

/**
 * The demo runs the patch agent in the sandbox where bubblewrap works, and otherwise says why
 * it runs it unsandboxed: the demo's own issues are the only input, so that is safe here, and
 * a fresh machine without bubblewrap can still try Switchyard.
 */
async function demoSandbox(dataDir: string): Promise<'bubblewrap' | 'none'> {
  try {
    await mkdir(dataDir, { recursive: true });
    await checkSandbox('bubblewrap', { dataDir });
    return 'bubblewrap';
  } catch (error) {
    process.stderr.write(`Note: the demo runs its agent unsandboxed. ${(error as Error).message}\n`);
    return 'none';
  }
}

const DEFAULT_PORT = 4010;

/** The twin on the port asked for; unasked, on 4010 or, when that is taken, on a free one. */
async function startTwin(dataDir: string, port: number | undefined): Promise<TwinApart> {
  try {
    return await TwinApart.start({ dataDir, port: port ?? DEFAULT_PORT });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if (port !== undefined)
      throw new Error(`Port ${port} is in use: choose another with --port, or leave --port out to take a free one.`, {
        cause: error,
      });
    process.stderr.write(`Port ${DEFAULT_PORT} is in use: the twin takes a free port instead.\n`);
    return TwinApart.start({ dataDir, port: 0 });
  }
}
