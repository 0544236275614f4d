/**
 * A run's end and its report job are written in one transaction: a process killed right after
 * the end was recorded leaves the report job behind for the next one, and an end that does not
 * commit leaves no report either. PGlite on disk, closed without a graceful stop in between.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReportJob } from '../../src/domain/jobs.ts';
import type { JobContext } from '../../src/jobs/context.ts';
import { endRun } from '../../src/jobs/finish.ts';
import { JOBS, queues, sender } from '../../src/jobs/index.ts';
import { createLogger } from '../../src/log/logger.ts';
import { Redactor } from '../../src/log/redact.ts';
import { JobEngine } from '../../src/queue/engine.ts';
import { AttemptStore } from '../../src/store/attempts.ts';
import { BatchStore } from '../../src/store/batches.ts';
import { openDatabase } from '../../src/store/db.ts';
import { GitHubRecords } from '../../src/store/github-records.ts';
import { migrate } from '../../src/store/migrations.ts';
import { Store } from '../../src/store/runs.ts';
import { storeTrigger } from '../support/trigger.ts';

const log = createLogger({ level: 'silent', format: 'json', redactor: new Redactor() });

const trigger = storeTrigger(7, 'Crash');

async function open(dataDir: string) {
  const db = await openDatabase({ dataDir });
  await migrate(db);
  const engine = new JobEngine({ db, log, heartbeatSeconds: 30 });
  await engine.start(queues(1));
  const store = new Store(db);
  const ctx = {
    db,
    store,
    attempts: new AttemptStore(db),
    records: new GitHubRecords(db),
    send: sender(engine, 1000),
    log,
  } as unknown as JobContext;
  return { db, engine, store, ctx };
}

/** The report jobs the engine hands out within `ms`. */
async function reportsWorked(engine: JobEngine, ms: number): Promise<ReportJob[]> {
  const seen: ReportJob[] = [];
  await engine.work<ReportJob>(JOBS.report.queue, {}, async ({ data }) => void seen.push(data));
  await new Promise((resolve) => setTimeout(resolve, ms));
  return seen;
}

describe('report jobs', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('survive a crash right after a run ended, and are not sent for an end that rolled back', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-report-'));
    dirs.push(dataDir);
    const first = await open(dataDir);
    const { batch } = await new BatchStore(first.db).openOrJoin('o/r', 0);
    const run = await first.store.createRun(trigger, 'agent/7-crash', { batchId: batch.id, priority: 0, config: {} });
    if (!run) throw new Error('no run');

    // An end that fails before it commits: neither the state nor the report job stays.
    await expect(
      first.db.transaction(async (tx) => {
        await first.store.within(tx).finishRun(run.id, { state: 'failed', reason: 'never committed' });
        await first.ctx.send.report({ repo: run.repo, issueNumber: run.issueNumber, urgent: true }, tx);
        throw new Error('the process died mid-transaction');
      }),
    ).rejects.toThrow('mid-transaction');
    expect((await first.store.getRun(run.id))?.state).toBe('queued');

    // The end commits; the process then dies before any report job is worked (no stop, no drain).
    const ended = await endRun(run, { state: 'succeeded', reason: null }, first.ctx);
    expect(ended.state).toBe('succeeded');
    await first.db.close();

    // The next process finds the report job and writes the status.
    const second = await open(dataDir);
    try {
      const worked = await reportsWorked(second.engine, 3000);
      expect(worked).toEqual([{ repo: 'o/r', issueNumber: 7, urgent: true }]);
      expect((await second.store.getRun(run.id))?.state).toBe('succeeded');
    } finally {
      await second.engine.stop(1000);
      await second.db.close();
    }
  });

  it('start a settled report one status interval after it was sent, once for the sends of that interval', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-report-'));
    dirs.push(dataDir);
    const { db, engine, ctx } = await open(dataDir);
    try {
      const worked: Array<{ data: ReportJob; at: number }> = [];
      await engine.work<ReportJob>(JOBS.report.queue, JOBS.report.work(), async ({ data }) => {
        worked.push({ data, at: Date.now() });
      });
      // Sent at the start of a second, so that both sends fall in one slot of the interval.
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
      const sentAt = Date.now();
      await ctx.send.report({ repo: 'o/r', issueNumber: 7, settled: true });
      await ctx.send.report({ repo: 'o/r', issueNumber: 7, settled: true });
      // A calm report of the same moment is written at once, beside it.
      await ctx.send.report({ repo: 'o/r', issueNumber: 7 });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(worked.map((w) => w.data)).toEqual([
        { repo: 'o/r', issueNumber: 7 },
        { repo: 'o/r', issueNumber: 7, settled: true },
      ]);
      expect(worked[1]!.at - sentAt).toBeGreaterThanOrEqual(1000);
    } finally {
      await engine.stop(1000);
      await db.close();
    }
  });
});
