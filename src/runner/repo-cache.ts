/**
 * One bare mirror per repository, and the worktrees of runs made from it. Fetch, `worktree add`,
 * `remove` and `prune` are serialized per repository (git does not lock them against each
 * other); everything a run does inside its own worktree runs in parallel.
 *
 * The mirror keeps the remote's branches under `refs/remotes/origin/*`, so a fetch with `--prune`
 * can never delete or move a branch that a live worktree has checked out.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import type { RepoRef } from '../store/records.ts';
import { gitIn, tokenEnvironment } from './git.ts';

/** Files Switchyard writes into a worktree for the agent; never committed. */
export const SWITCHYARD_DIR = '.switchyard';

export interface PreparedWorktree {
  path: string;
  branch: string;
  baseSha: string;
}

export class RepoCache {
  readonly root: string;
  readonly #locks = new Map<string, LimitFunction>();

  constructor(root: string) {
    this.root = root;
  }

  mirrorDir(repo: RepoRef): string {
    return join(this.root, 'mirrors', repo.owner, `${repo.name}.git`);
  }

  worktreeDir(repo: RepoRef, runId: string): string {
    return join(this.root, 'worktrees', repo.owner, repo.name, runId);
  }

  /** Runs `work` while holding this repository's lock. */
  exclusive<T>(repo: RepoRef, work: () => Promise<T>): Promise<T> {
    let limit = this.#locks.get(repo.fullName);
    if (!limit) {
      limit = pLimit(1);
      this.#locks.set(repo.fullName, limit);
    }
    return limit(work);
  }

  /** Brings the mirror up to date (creating it on first use) and adds a worktree for a run. */
  async prepare(options: { repo: RepoRef; token: string; runId: string; branch: string; base: string }): Promise<PreparedWorktree> {
    const { repo, token, branch } = options;
    const path = this.worktreeDir(repo, options.runId);
    return this.exclusive(repo, async () => {
      const mirror = this.mirrorDir(repo);
      if (!existsSync(join(mirror, 'HEAD'))) await this.#createMirror(repo);
      const git = gitIn(mirror, tokenEnvironment(token));
      await git.raw(['fetch', '--prune', '--no-tags', 'origin']);
      const baseSha = (await git.raw(['rev-parse', '--verify', `refs/remotes/origin/${options.base}^{commit}`])).trim();
      await git.raw(['worktree', 'prune']);
      await mkdir(dirname(path), { recursive: true });
      // -B: a branch left by an earlier attempt of the same issue is reset to the new base.
      await git.raw(['worktree', 'add', '--no-track', '-B', branch, path, baseSha]);
      return { path, branch, baseSha };
    });
  }

  /** Removes a run's worktree and its local branch; the pushed branch stays on the remote. */
  async remove(repo: RepoRef, worktree: Pick<PreparedWorktree, 'path' | 'branch'>): Promise<void> {
    await this.exclusive(repo, async () => {
      const git = gitIn(this.mirrorDir(repo));
      try {
        await git.raw(['worktree', 'remove', '--force', worktree.path]);
      } catch {
        await rm(worktree.path, { recursive: true, force: true });
        await git.raw(['worktree', 'prune']);
      }
      await git.raw(['branch', '-D', worktree.branch]).catch(() => undefined);
    });
  }

  /** Paths of the worktrees git knows for a repository's mirror. */
  async worktrees(repo: RepoRef): Promise<string[]> {
    if (!existsSync(this.mirrorDir(repo))) return [];
    const out = await gitIn(this.mirrorDir(repo)).raw(['worktree', 'list', '--porcelain']);
    return out
      .split('\n')
      .filter((line) => line.startsWith('worktree '))
      .map((line) => line.slice('worktree '.length))
      .filter((path) => path !== this.mirrorDir(repo));
  }

  async #createMirror(repo: RepoRef): Promise<void> {
    const mirror = this.mirrorDir(repo);
    await mkdir(mirror, { recursive: true });
    const git = gitIn(mirror);
    await git.raw(['init', '--bare', '--quiet']);
    await git.raw(['remote', 'add', 'origin', repo.cloneUrl]);
    await git.raw(['config', 'remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*']);
    const exclude = join(mirror, 'info', 'exclude');
    const current = existsSync(exclude) ? await readFile(exclude, 'utf8') : '';
    if (!current.includes(`/${SWITCHYARD_DIR}/`)) {
      await mkdir(dirname(exclude), { recursive: true });
      await appendFile(exclude, `\n/${SWITCHYARD_DIR}/\n`);
    }
  }
}
