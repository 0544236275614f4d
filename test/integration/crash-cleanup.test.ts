/** kill -9 in the middle of three runs, then a restart: nothing left behind, nothing lost, nothing live touched. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killMachineOrphans, killOrphanedRuns } from '../../src/runner/orphans.ts';
import { RepoCache } from '../../src/runner/repo-cache.ts';
import type { RepoRef } from '../../src/domain/run.ts';
import { processesUnder } from '../support/processes.ts';
import { eventually } from '../support/stack.ts';
import { hostRepo, type HostedRepo } from '../support/hosted-repo.ts';

const CHILD = new URL('../support/runner-child.ts', import.meta.url).pathname;

describe('crash and restart', () => {
  let hosted: HostedRepo;
  let dataDir: string;
  let repo: RepoRef;
  let token: string;
  let holder: ResultPromise | undefined;

  beforeAll(async () => {
    hosted = await hostRepo({ 'src/a.txt': 'a\n' }, 'switchyard-crash-');
    ({ repo, token, dataDir } = hosted);
  });
  afterAll(async () => {
    holder?.kill('SIGKILL');
    await holder;
    await hosted.stop();
  });

  it('prunes the interrupted runs, keeps their work on their branches, kills their agents, and spares a live run', async () => {
    const env = (input: object) => ({
      ...process.env,
      SWITCHYARD_CHILD: JSON.stringify({ dataDir, repo, token, ...input }),
    });
    // Another live process holds a worktree of its own.
    holder = execa('node', [CHILD], { env: env({ mode: 'hold', runs: [] }), buffer: false, reject: false });
    const cache = new RepoCache(dataDir);
    await eventually(
      async () => ((await cache.worktrees(repo)).some((p) => p.endsWith('live-run')) ? true : undefined),
      20_000,
      'live worktree',
    );

    const runs = [1, 2, 3].map((n) => ({
      runId: `crash-${n}`,
      issue: n,
      command: ['sh', '-c', `echo work-${n} > work.txt; sleep 600`],
    }));
    const doomed = execa('node', [CHILD], { env: env({ mode: 'runs', runs }), reject: false });
    await eventually(
      async () => {
        const done = runs.filter((r) => existsSync(join(cache.worktreeDir(repo, r.runId), 'work.txt')));
        return done.length === 3 ? true : undefined;
      },
      30_000,
      'three agents at work',
    );
    doomed.kill('SIGKILL');
    await doomed;
    // The agents lead their own process groups: they outlive a killed parent until clean-up.
    expect((await processesUnder(join(dataDir, 'worktrees'))).length).toBeGreaterThanOrEqual(3);

    // Restart: what a new worker does before taking runs.
    const orphans = await killOrphanedRuns(dataDir);
    const pruned = await cache.pruneOrphans();

    expect(orphans.runs.sort()).toEqual(['crash-1', 'crash-2', 'crash-3']);
    expect(pruned.map((p) => p.path).sort()).toEqual(runs.map((r) => cache.worktreeDir(repo, r.runId)).sort());
    expect(pruned.every((p) => p.rescuedSha && p.branch)).toBe(true);
    await eventually(
      async () => ((await processesUnder(join(dataDir, 'worktrees'))).length === 0 ? true : undefined),
      5_000,
      'agents gone',
    );
    const remaining = await cache.worktrees(repo);
    expect(remaining).toHaveLength(1);
    expect(remaining[0]).toContain('live-run');
    expect(existsSync(remaining[0] ?? '')).toBe(true);
    for (const n of [1, 2, 3]) {
      const { stdout } = await execa('git', [
        '--git-dir',
        cache.mirrorDir(repo),
        'show',
        `agent/${n}-issue-${n}:work.txt`,
      ]);
      expect(stdout).toBe(`work-${n}`);
    }
    expect(await readdir(join(dataDir, 'runs'))).toEqual([]);
  });

  it('starts again after being killed while it created a mirror: the half-made mirror is dropped and made afresh', async () => {
    const root = await mkdtemp(join(tmpdir(), 'switchyard-half-mirror-'));
    try {
      const cache = new RepoCache(root);
      // What `mkdir` without the `git init --bare` after it leaves.
      await mkdir(cache.mirrorDir(repo), { recursive: true });
      expect(await cache.pruneOrphans()).toEqual([]);
      expect(existsSync(cache.mirrorDir(repo))).toBe(false);
      const worktree = await cache.prepare({ repo, token, branch: 'agent/9-half', base: 'main', runId: 'half-1' });
      expect(existsSync(join(worktree.path, 'src/a.txt'))).toBe(true);
      await cache.release(repo, worktree, []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('lets any Switchyard on the machine kill the agents of one that died, whatever its data directory', async () => {
    const env = {
      ...process.env,
      SWITCHYARD_CHILD: JSON.stringify({
        dataDir,
        repo,
        token,
        mode: 'runs',
        runs: [{ runId: 'elsewhere-1', issue: 9, command: ['sh', '-c', 'echo started > started.txt; sleep 600'] }],
      }),
    };
    const cache = new RepoCache(dataDir);
    const doomed = execa('node', [CHILD], { env, reject: false });
    await eventually(
      async () => (existsSync(join(cache.worktreeDir(repo, 'elsewhere-1'), 'started.txt')) ? true : undefined),
      30_000,
      'agent at work',
    );
    const agents = await processesUnder(cache.worktreeDir(repo, 'elsewhere-1'));
    expect(agents.length).toBeGreaterThan(0);
    doomed.kill('SIGKILL');
    await doomed;
    // This process is another worker: it never reads that data directory, only the machine's registry.
    const killed = await killMachineOrphans();
    expect(killed.length).toBeGreaterThan(0);
    await eventually(
      async () => ((await processesUnder(cache.worktreeDir(repo, 'elsewhere-1'))).length === 0 ? true : undefined),
      5_000,
      'agents gone',
    );
    expect(await killMachineOrphans()).toEqual([]);
  });
});
