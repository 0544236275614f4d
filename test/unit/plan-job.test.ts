/**
 * The plan job around fakes of the GitHub facts it reads (issue dependencies, issue states) and a
 * recording sender, on an in-memory database: what it dispatches, holds and stops, and what it
 * asks GitHub.
 */
import { PGlite } from '@electric-sql/pglite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlanJob, ReportJob, RunJob } from '../../src/domain/jobs.ts';
import type { RunRecord, RunTrigger } from '../../src/domain/run.ts';
import type { GitHubClient } from '../../src/github/client.ts';
import type { JobContext, Send } from '../../src/jobs/context.ts';
import { plan } from '../../src/jobs/plan.ts';
import { createLogger } from '../../src/log/logger.ts';
import { Redactor } from '../../src/log/redact.ts';
import { AttemptStore } from '../../src/store/attempts.ts';
import { BatchStore } from '../../src/store/batches.ts';
import type { Database, Queryable } from '../../src/store/db.ts';
import { GitHubRecords } from '../../src/store/github-records.ts';
import { migrate } from '../../src/store/migrations.ts';
import { Store } from '../../src/store/runs.ts';

const log = createLogger({ level: 'silent', format: 'json', redactor: new Redactor() });

/** PGlite in memory, as the store reaches a database. */
async function memoryDatabase(): Promise<Database & { pglite: PGlite }> {
  const pglite = await PGlite.create();
  const query = async <Row extends object>(text: string, params: unknown[] = []) =>
    (await pglite.query<Row>(text, params)).rows;
  const transaction = <T>(work: (tx: Queryable) => Promise<T>) =>
    pglite.transaction((tx) =>
      work({ query: async <Row extends object>(t: string, p: unknown[] = []) => (await tx.query<Row>(t, p)).rows }),
    );
  return {
    kind: 'pglite',
    pglite,
    query,
    answering: { query, transaction },
    transaction,
    bossOptions: () => ({}),
    close: () => pglite.close(),
  };
}

/** GitHub as the plan job reads it: issue states, and no issue dependencies beyond the bodies. */
function fakeGitHub(states: Record<number, 'open' | 'closed'>) {
  const asked: string[] = [];
  const octokit = {
    rest: {
      issues: {
        get: async ({ issue_number }: { issue_number: number }) => {
          asked.push(`issue #${issue_number}`);
          const state = states[issue_number];
          if (!state) throw Object.assign(new Error('Not Found'), { status: 404 });
          return { data: { state } };
        },
        listDependenciesBlockedBy: async ({ issue_number }: { issue_number: number }) => {
          asked.push(`blocked-by #${issue_number}`);
          return { data: [] };
        },
      },
      pulls: { list: async () => ({ data: [] }) },
    },
    paginate: async () => [],
  } as unknown as GitHubClient;
  return { octokit, asked };
}

function recordingSend() {
  const runs: RunJob[] = [];
  const reports: ReportJob[] = [];
  const plans: Array<{ job: PlanJob; delayMs: number | undefined }> = [];
  const send = {
    run: async (job: RunJob) => {
      runs.push(job);
      return true;
    },
    report: async (job: ReportJob) => void reports.push(job),
    plan: async (job: PlanJob, delayMs?: number) => void plans.push({ job, delayMs }),
  } as unknown as Send;
  return { send, runs, reports, plans };
}

const repo = {
  owner: 'o',
  name: 'r',
  fullName: 'o/r',
  cloneUrl: 'http://example.invalid/o/r.git',
  defaultBranch: 'main',
};

function trigger(number: number, body: string): RunTrigger {
  return {
    deliveryId: `d-${number}`,
    installationId: 1,
    sender: 'octocat',
    label: 'agent:patch',
    agent: 'patch',
    repo,
    issue: {
      number,
      title: `Issue ${number}`,
      body,
      labels: [],
      url: `http://x/${number}`,
      author: 'octocat',
      blockedBy: 0,
    },
  };
}

describe('the plan job', () => {
  let db: Database & { pglite: PGlite };
  let store: Store;
  beforeEach(async () => {
    db = await memoryDatabase();
    await migrate(db);
    store = new Store(db);
  });
  afterEach(async () => {
    await db.close();
  });

  async function queue(...issues: Array<[number, string]>): Promise<RunRecord[]> {
    const { batch } = await new BatchStore(db).openOrJoin('o/r', 0);
    const runs: RunRecord[] = [];
    for (const [number, body] of issues) {
      const run = await store.createRun(trigger(number, body), `agent/${number}-x`, {
        batchId: batch.id,
        priority: 0,
        config: {},
      });
      if (!run) throw new Error('no run');
      await store.acknowledgeRun(run.id);
      runs.push(run);
    }
    return runs;
  }

  function contextWith(octokit: GitHubClient, send: Send): JobContext {
    return {
      db,
      store,
      attempts: new AttemptStore(db),
      records: new GitHubRecords(db),
      batches: new BatchStore(db),
      clientFor: async () => octokit,
      agents: {},
      settings: { concurrency: 3 },
      send,
      log,
    } as unknown as JobContext;
  }

  it('dispatches what can start and holds a dependent with the reason, written at once', async () => {
    const [first, second] = await queue([1, 'First.'], [2, 'Depends on #1']);
    const github = fakeGitHub({ 1: 'open', 2: 'open' });
    const sent = recordingSend();
    await plan({ repo: 'o/r', installationId: 1 }, contextWith(github.octokit, sent.send));

    expect(sent.runs).toEqual([{ runId: first?.id }]);
    const held = await store.getRun(second?.id ?? '');
    expect(held?.state).toBe('waiting');
    expect(held?.waitingReason).toBe('waits for #1 (not started yet).');
    expect(held?.dependsOn).toEqual([1]);
    expect(sent.reports).toEqual([{ repo: 'o/r', issueNumber: 2, urgent: true }]);
    // The payload said nothing blocks these issues: GitHub was not asked for their dependencies.
    expect(github.asked.filter((a) => a.startsWith('blocked-by'))).toEqual([]);
  });

  it('reads dependencies once per run, and says nothing again while the reason stays', async () => {
    await queue([1, 'First.'], [2, 'Depends on #1']);
    const github = fakeGitHub({ 1: 'open', 2: 'open' });
    const sent = recordingSend();
    const ctx = contextWith(github.octokit, sent.send);
    await plan({ repo: 'o/r', installationId: 1 }, ctx);
    // Planned again once #1 was handed to a worker: the reason moves on, and is said once.
    await plan({ repo: 'o/r', installationId: 1 }, ctx);
    const said = sent.reports.length;
    await plan({ repo: 'o/r', installationId: 1 }, ctx);
    expect(sent.reports).toHaveLength(said);
    expect(sent.runs).toHaveLength(1);
  });

  it('stops the runs of a dependency cycle and plans nothing else for them', async () => {
    const [a, b] = await queue([1, 'Depends on #2'], [2, 'Depends on #1']);
    const sent = recordingSend();
    await plan(
      { repo: 'o/r', installationId: 1 },
      contextWith(fakeGitHub({ 1: 'open', 2: 'open' }).octokit, sent.send),
    );
    for (const run of [a, b]) {
      const stopped = await store.getRun(run?.id ?? '');
      expect(stopped?.state).toBe('cancelled');
      expect(stopped?.reason).toContain('is on a dependency cycle');
    }
    expect(sent.runs).toEqual([]);
  });

  it('waits for a person on a dependency that does not exist', async () => {
    const [run] = await queue([3, 'Depends on #999']);
    const sent = recordingSend();
    await plan({ repo: 'o/r', installationId: 1 }, contextWith(fakeGitHub({ 3: 'open' }).octokit, sent.send));
    expect((await store.getRun(run?.id ?? ''))?.waitingReason).toBe(
      'depends on #999, which does not exist in this repository; a person has to fix the reference.',
    );
  });
});
