/**
 * Worktrees are checked out outside the repository's lock, alongside each other: concurrent
 * prepares still get a worktree each, on the base the fetch brought, the warm pool never grows past
 * its size, and a checkout git refuses leaves no folder behind (a placed pool folder would count
 * as a slot for good).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepoRef } from '../../src/domain/run.ts';
import { RepoCache } from '../../src/runner/repo-cache.ts';
import { hostRepo, type HostedRepo } from '../support/hosted-repo.ts';

describe('RepoCache checkouts', () => {
  let hosted: HostedRepo;
  let repo: RepoRef;
  let token: string;
  let cache: RepoCache;
  let mainSha: string;

  beforeAll(async () => {
    hosted = await hostRepo({ 'a.txt': 'a\n', 'src/b.txt': 'b\n' }, 'switchyard-repo-cache-');
    ({ repo, token } = hosted);
    cache = new RepoCache(hosted.dataDir);
    mainSha = (
      await execa('git', ['--git-dir', join(hosted.twin.dataDir, 'git/o/r.git'), 'rev-parse', 'refs/heads/main'])
    ).stdout.trim();
  });
  afterAll(async () => {
    await hosted.stop();
  });

  const prepare = (n: number, poolSize: number, branch = `agent/${n}-issue-${n}`) =>
    cache.prepare({ repo, token, runId: `run-${n}`, branch, base: 'main', poolSize });

  it('gives concurrent runs a worktree each, and the pool no more slots than its size', async () => {
    const worktrees = await Promise.all([1, 2, 3, 4, 5].map((n) => prepare(n, 2)));
    expect(new Set(worktrees.map((w) => w.path)).size).toBe(5);
    expect(worktrees.filter((w) => w.pooled)).toHaveLength(2);
    expect(await readdir(cache.poolDir(repo))).toHaveLength(2);
    for (const worktree of worktrees) {
      expect(worktree.baseSha).toBe(mainSha);
      expect(await readFile(join(worktree.path, 'src/b.txt'), 'utf8')).toBe('b\n');
      const { stdout } = await execa('git', ['status', '--porcelain', '--branch'], { cwd: worktree.path });
      expect(stdout).toBe(`## ${worktree.branch}`);
    }
    await Promise.all(worktrees.map((w) => cache.release(repo, w)));
    expect((await cache.worktrees(repo)).filter((path) => !path.startsWith(cache.poolDir(repo)))).toEqual([]);

    // The two pooled worktrees serve the next runs again; the third run gets a fresh one.
    const again = await Promise.all([6, 7, 8].map((n) => prepare(n, 2)));
    expect(
      again
        .filter((w) => w.pooled)
        .map((w) => w.path)
        .sort(),
    ).toEqual(
      worktrees
        .filter((w) => w.pooled)
        .map((w) => w.path)
        .sort(),
    );
    await Promise.all(again.map((w) => cache.release(repo, w)));
  });

  it('leaves no folder when git refuses the checkout', async () => {
    const held = await prepare(9, 0, 'agent/shared');
    // A branch checked out in one worktree cannot be checked out in another.
    await expect(prepare(10, 0, 'agent/shared')).rejects.toThrow(/already|used by worktree/);
    expect(existsSync(cache.worktreeDir(repo, 'run-10'))).toBe(false);
    await cache.release(repo, held);
  });

  it('removes, after a crash, a placed folder the checkout never filled, and keeps the pool', async () => {
    const slots = await readdir(cache.poolDir(repo));
    const placed = join(cache.poolDir(repo), 'slot-cut-short');
    await mkdir(placed);
    await cache.pruneOrphans();
    expect(existsSync(placed)).toBe(false);
    expect((await readdir(cache.poolDir(repo))).sort()).toEqual(slots.sort());
  });
});
