/**
 * Intake benchmark: 1,000 `issues.labeled` webhooks for 1,000 issues, signed as GitHub signs them,
 * POSTed as fast as possible (32 at a time, each sender on its connection, from a thread of its
 * own) to a running Switchyard web process (no worker: runs are held, only intake is measured), in
 * embedded (PGlite) and PostgreSQL mode. A tenth are delivered twice, as
 * GitHub's redelivery does. Figures: acknowledgement latency, throughput, deliveries lost and
 * duplicate runs (read back from the twin: one status comment per issue), and the process's peak
 * RSS. Last line: JSON.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import pLimit from 'p-limit';
import { STATUS_MARKER } from '../src/github/status-comment.ts';
import { freshDatabase, ProcessStack } from '../test/support/processes-stack.ts';
import { pushFiles } from '@switchyard/github-twin/seed';
import { GitHubTwin, sign } from '@switchyard/github-twin';
import type { SenderInput, SenderResult } from './support/webhook-sender.ts';

const ISSUES = Number(process.env.BENCH_ISSUES ?? 1000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 32);
const OWNER = 'bench-org';
const REPO = 'intake';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0).toFixed(1));
}

async function peakRssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function measure(mode: 'embedded' | 'postgres') {
  const twin = await GitHubTwin.start();
  const gh = twin.octokit(OWNER);
  await gh.rest.repos.createForAuthenticatedUser({ name: REPO, auto_init: true });
  await pushFiles(twin, OWNER, REPO, { 'src/index.ts': 'export {};\n' });
  twin.install(OWNER);
  // One real labelling gives a payload exactly as the twin (and GitHub) shapes it.
  const { data: sample } = await gh.rest.issues.create({ owner: OWNER, repo: REPO, title: 'Sample', body: 'x' });
  await gh.rest.issues.addLabels({ owner: OWNER, repo: REPO, issue_number: sample.number, labels: ['agent:patch'] });
  await twin.idle();
  const template = twin.deliveries.find((d) => d.event === 'issues' && d.action === 'labeled')?.payload;
  if (!template) throw new Error('no labeled payload recorded');
  const issues: number[] = [];
  const create = pLimit(16);
  await Promise.all(
    Array.from({ length: ISSUES }, (_, i) =>
      create(async () => {
        const { data } = await gh.rest.issues.create({
          owner: OWNER,
          repo: REPO,
          title: `Issue ${i}`,
          body: 'Something to do.',
        });
        issues.push(data.number);
      }),
    ),
  );

  const database =
    mode === 'postgres' ? await freshDatabase(process.env.SWITCHYARD_TEST_DATABASE_URL ?? '') : undefined;
  const processes = new ProcessStack({
    twin,
    databaseUrl: database?.url,
    agents: {},
    concurrency: 2,
    // BENCH_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=…" profiles the web process.
    env: {
      LOG_LEVEL: 'info',
      ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
    },
  });
  const web = await processes.start('web', 'web');
  const url = await processes.webhookUrl();
  twin.setWebhookUrl(undefined);

  const deliveries = issues.map((number) => {
    const payload = structuredClone(template) as Record<string, unknown> & { issue: Record<string, unknown> };
    payload.issue = {
      ...payload.issue,
      number,
      title: `Issue ${number}`,
      url: String(payload.issue.url).replace(/\d+$/, String(number)),
    };
    return { id: randomUUID(), body: JSON.stringify(payload) };
  });
  const redelivered = deliveries.filter((_, i) => i % 10 === 0);
  const signed = [...deliveries, ...redelivered].map((d) => ({
    ...d,
    signature: sign(twin.app.webhookSecret, d.body),
  }));
  const sender = new Worker(new URL('./support/webhook-sender.ts', import.meta.url), {
    workerData: { url, deliveries: signed, inFlight: IN_FLIGHT } satisfies SenderInput,
  });
  const [{ latencies, failures, seconds }] = (await once(sender, 'message')) as [SenderResult];
  await sender.terminate();
  console.log(
    `${mode}: ${deliveries.length + redelivered.length} deliveries acknowledged in ${seconds.toFixed(1)} s; waiting for every issue's status comment…`,
  );
  const processingStarted = performance.now();

  // Every accepted trigger ends in exactly one status comment on its issue.
  const deadline = Date.now() + 10 * 60_000;
  let counts = new Map<number, number>();
  while (Date.now() < deadline) {
    counts = new Map();
    const repo = twin.state.repo(OWNER, REPO);
    for (const comment of repo?.comments.values() ?? []) {
      if (comment.body.startsWith(STATUS_MARKER))
        counts.set(comment.issueNumber, (counts.get(comment.issueNumber) ?? 0) + 1);
    }
    if (issues.every((n) => counts.has(n))) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const processedS = (performance.now() - processingStarted) / 1000;
  const rss = await peakRssMb(web.subprocess.pid);
  const slowest = twin.countRequests();
  console.log(`${mode}: twin requests by operation: ${JSON.stringify(slowest)}`);
  // A profiled process writes its profile as it exits: it is stopped, not killed.
  if (process.env.BENCH_NODE_OPTIONS) await processes.kill('web', 'SIGTERM');
  await processes.stop();
  await twin.stop();
  await database?.drop();
  return {
    ack_p50_ms: percentile(latencies, 50),
    ack_p99_ms: percentile(latencies, 99),
    per_s: Math.round((deliveries.length + redelivered.length) / seconds),
    sent: deliveries.length + redelivered.length,
    redelivered: redelivered.length,
    rejected: failures.length,
    lost: issues.filter((n) => !counts.has(n)).length,
    duplicates: [...counts.values()].filter((c) => c > 1).length,
    rss_mb: rss,
    // After the last acknowledgement: until every trigger had its permission check, reaction and status comment.
    intake_done_s: Number(processedS.toFixed(1)),
  };
}

const figures: Record<string, unknown> = { issues: ISSUES, in_flight: IN_FLIGHT };
figures.embedded = await measure('embedded');
console.log(`embedded: ${JSON.stringify(figures.embedded)}`);
if (process.env.SWITCHYARD_TEST_DATABASE_URL) {
  figures.postgres = await measure('postgres');
  console.log(`postgres: ${JSON.stringify(figures.postgres)}`);
} else {
  console.log('postgres: skipped (set SWITCHYARD_TEST_DATABASE_URL to a server this may create databases on)');
}
console.log(JSON.stringify(figures));
