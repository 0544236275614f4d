/** The runner against real git: parallel runs, clean worktrees, and an agent that sees no secret. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../src/log/redact.ts';
import { Runner } from '../../src/runner/execute.ts';
import type { RunRequest } from '../../src/runner/request.ts';
import { RepoCache } from '../../src/runner/repo-cache.ts';
import type { RepoRef } from '../../src/domain/run.ts';
import { runRequest } from '../support/run-request.ts';
import { processesUnder } from '../support/processes.ts';
import type { GitHubTwin } from '@switchyard/github-twin';
import { hostRepo, type HostedRepo } from '../support/hosted-repo.ts';

describe('Runner', () => {
  let hosted: HostedRepo;
  let twin: GitHubTwin;
  let dataDir: string;
  let runner: Runner;
  let cache: RepoCache;
  let repo: RepoRef;
  let token: string;

  beforeAll(async () => {
    hosted = await hostRepo({ 'a.txt': 'a\n' }, 'switchyard-runner-');
    ({ twin, repo, token, dataDir } = hosted);
    cache = new RepoCache(dataDir);
    runner = new Runner({
      cache,
      identity: { name: 'bot', email: 'bot@x.invalid' },
      redactor: new Redactor([token]),
      sandbox: { kind: 'none', dataDir, secretFiles: [] },
    });
  });
  afterAll(async () => {
    await hosted.stop();
  });

  const request = (n: number, command: string[]): RunRequest => runRequest(repo, token, n, command);

  it('runs agents in parallel worktrees and pushes one branch each', async () => {
    const outcomes = await Promise.all(
      [1, 2, 3, 4].map((n) => runner.execute(request(n, ['sh', '-c', `sleep 0.3; echo ${n} > file-${n}.txt`]))),
    );
    expect(outcomes.map((o) => o.reason ?? o.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(outcomes.every((o) => o.pushed && o.diffStat?.files === 1)).toBe(true);
    const { stdout } = await execa('git', [
      '--git-dir',
      join(twin.dataDir, 'git/o/r.git'),
      'branch',
      '--list',
      'agent/*',
    ]);
    expect(
      stdout
        .split('\n')
        .map((b) => b.trim())
        .sort(),
    ).toEqual(['agent/1-issue-1', 'agent/2-issue-2', 'agent/3-issue-3', 'agent/4-issue-4']);
    expect(await cache.worktrees(repo)).toEqual([]);
    expect(await readdir(join(dataDir, 'runs')).catch(() => [])).toEqual([]);
  });

  it('gives the agent no secret: its environment dump holds neither the token nor Switchyard settings', async () => {
    process.env.WEBHOOK_SECRET = 'webhook-secret-value';
    process.env.DATABASE_URL = 'postgres://u:pw@localhost/x';
    try {
      const outcome = await runner.execute(request(5, ['sh', '-c', 'env > env.txt']));
      expect(outcome.state).toBe('succeeded');
      const { stdout: dump } = await execa('git', [
        '--git-dir',
        join(twin.dataDir, 'git/o/r.git'),
        'show',
        'agent/5-issue-5:env.txt',
      ]);
      expect(dump).toContain('SWITCHYARD_ISSUE_NUMBER=5');
      expect(dump).not.toContain(token);
      expect(dump).not.toContain('webhook-secret-value');
      expect(dump).not.toContain('DATABASE_URL');
      expect(dump).not.toMatch(/GIT_CONFIG|extraHeader|Authorization/i);
      expect(dump).not.toMatch(/^(APP_ID|PRIVATE_KEY|WEBHOOK_SECRET)=/m);
    } finally {
      delete process.env.WEBHOOK_SECRET;
      delete process.env.DATABASE_URL;
    }
  });

  it('ends a run whose agent outlives its timeout, with its whole process tree', async () => {
    const slow = { ...request(6, ['sh', '-c', 'sleep 30 & sleep 30; wait']), timeoutMs: 500 };
    const outcome = await runner.execute(slow);
    expect(outcome.state).toBe('timed_out');
    expect(outcome.reason).toContain('did not finish within');
    expect(await processesUnder(dataDir)).toEqual([]);
    expect(await cache.worktrees(repo)).toEqual([]);
  });

  it('keeps the work of a failed run on its pushed branch', async () => {
    const outcome = await runner.execute(request(7, ['sh', '-c', 'echo partial > partial.txt; exit 1']));
    expect(outcome).toMatchObject({ state: 'failed', changed: true, pushed: true });
    const { stdout } = await execa('git', [
      '--git-dir',
      join(twin.dataDir, 'git/o/r.git'),
      'show',
      'agent/7-issue-7:partial.txt',
    ]);
    expect(stdout).toBe('partial');
  });

  it('fails clearly when the executable does not exist', async () => {
    const outcome = await runner.execute(request(8, ['definitely-not-an-agent-binary']));
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toMatch(/ENOENT|not found/i);
  });
});
