/**
 * One bare mirror per repository, and the worktrees of runs made from it. Fetch, `worktree add`,
 * `remove`, `prune` and pool resets are serialized per repository (git does not lock them
 * against each other); everything a run does inside its own worktree runs in parallel.
 *
 * The mirror keeps the remote's branches under `refs/remotes/origin/*`, so a fetch with `--prune`
 * can never delete or move a branch that a live worktree has checked out. Every worktree is
 * locked with the pid of the process that owns it: a clean-up after a crash removes only
 * worktrees whose owner is gone.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import type { RepoRef } from '../store/records.ts';
import { gitIn, tokenEnvironment } from './git.ts';

/** Files Switchyard writes into a worktree for the agent; never committed. */
export const SWITCHYARD_DIR = '.switchyard';

export interface PreparedWorktree {
  path: string;
  branch: string;
  baseSha: string;
  /** The worktree's administrative folder inside the mirror. */
  gitDir: string;
  /** Taken from the warm pool, and returned to it afterwards. */
  pooled: boolean;
}

export interface PrepareOptions {
  repo: RepoRef;
  token: string;
  runId: string;
  branch: string;
  base: string;
  /** Reuse up to this many clean worktrees (0: a fresh worktree per run). */
  poolSize?: number;
}

const LOCK_PREFIX = 'switchyard pid=';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RepoCache {
  readonly root: string;
  readonly #locks = new Map<string, LimitFunction>();
  /** Free pooled worktrees per repository. */
  readonly #free = new Map<string, string[]>();

  constructor(root: string) {
    this.root = root;
  }

  mirrorDir(repo: Pick<RepoRef, 'owner' | 'name'>): string {
    return join(this.root, 'mirrors', repo.owner, `${repo.name}.git`);
  }

  worktreeDir(repo: RepoRef, runId: string): string {
    return join(this.root, 'worktrees', repo.owner, repo.name, runId);
  }

  poolDir(repo: RepoRef): string {
    return join(this.root, 'pool', repo.owner, repo.name);
  }

  /** Runs `work` while holding this repository's lock. */
  exclusive<T>(repo: Pick<RepoRef, 'fullName'>, work: () => Promise<T>): Promise<T> {
    let limit = this.#locks.get(repo.fullName);
    if (!limit) {
      limit = pLimit(1);
      this.#locks.set(repo.fullName, limit);
    }
    return limit(work);
  }

  /** Brings the mirror up to date (creating it on first use) and provides a worktree for a run. */
  async prepare(options: PrepareOptions): Promise<PreparedWorktree> {
    const { repo, token, branch } = options;
    return this.exclusive(repo, async () => {
      const mirror = this.mirrorDir(repo);
      if (!existsSync(join(mirror, 'HEAD'))) await this.#createMirror(repo);
      const git = gitIn(mirror, tokenEnvironment(token));
      await git.raw(['fetch', '--prune', '--no-tags', 'origin']);
      const baseSha = (await git.raw(['rev-parse', '--verify', `refs/remotes/origin/${options.base}^{commit}`])).trim();
      await git.raw(['worktree', 'prune']);

      const poolSize = options.poolSize ?? 0;
      const free = this.#free.get(repo.fullName) ?? [];
      const reused = poolSize > 0 ? free.pop() : undefined;
      if (reused) {
        // A pooled worktree is already clean (reset when returned); move it to the new base.
        await gitIn(reused).raw(['checkout', '--quiet', '--force', '-B', branch, baseSha]);
        return { path: reused, branch, baseSha, gitDir: await this.#gitDirOf(reused), pooled: true };
      }
      const pooled = poolSize > 0 && (await this.#poolCount(repo)) < poolSize;
      const path = pooled ? join(this.poolDir(repo), `slot-${options.runId}`) : this.worktreeDir(repo, options.runId);
      await mkdir(dirname(path), { recursive: true });
      // -B: a branch left by an earlier attempt of the same issue is reset to the new base.
      await git.raw(['worktree', 'add', '--quiet', '--lock', '--reason', `${LOCK_PREFIX}${process.pid} run=${options.runId}`, '--no-track', '-B', branch, path, baseSha]);
      return { path, branch, baseSha, gitDir: await this.#gitDirOf(path), pooled };
    });
  }

  /**
   * Gives a worktree back: a pooled one is cleaned (everything but the keep-list) and kept for
   * the next run; any other is removed. The run's local branch is deleted either way; the
   * pushed branch stays on the remote.
   */
  async release(repo: RepoRef, worktree: Pick<PreparedWorktree, 'path' | 'branch' | 'pooled' | 'baseSha'>, keep: readonly string[] = []): Promise<void> {
    await this.exclusive(repo, async () => {
      const git = gitIn(this.mirrorDir(repo));
      if (worktree.pooled && existsSync(worktree.path)) {
        try {
          await resetWorktree(worktree.path, worktree.baseSha, keep);
          await git.raw(['branch', '-D', worktree.branch]).catch(() => undefined);
          this.#free.set(repo.fullName, [...(this.#free.get(repo.fullName) ?? []), worktree.path]);
          return;
        } catch {
          // A worktree that cannot be cleaned is not reused.
        }
      }
      await this.#remove(git, worktree.path);
      await git.raw(['branch', '-D', worktree.branch]).catch(() => undefined);
    });
  }

  /** Paths of the worktrees git knows for a repository's mirror, pooled ones included. */
  async worktrees(repo: Pick<RepoRef, 'owner' | 'name'>): Promise<string[]> {
    return (await this.#listWorktrees(this.mirrorDir(repo))).map((w) => w.path);
  }

  /**
   * After a crash: for every mirror, worktrees whose owning process is gone are dealt with —
   * uncommitted work is committed to the run's branch (kept), a branch that never received a
   * commit is deleted, the worktree is removed (pooled ones are cleaned and kept). Worktrees of
   * live processes are not touched. Returns the paths it cleaned up.
   */
  async pruneOrphans(keep: readonly string[] = []): Promise<string[]> {
    const pruned: string[] = [];
    const mirrorsRoot = join(this.root, 'mirrors');
    if (!existsSync(mirrorsRoot)) return pruned;
    for (const owner of await readdir(mirrorsRoot)) {
      for (const entry of await readdir(join(mirrorsRoot, owner))) {
        const mirror = join(mirrorsRoot, owner, entry);
        const repo = { owner, name: entry.replace(/\.git$/, ''), fullName: `${owner}/${entry.replace(/\.git$/, '')}` };
        await this.exclusive(repo, async () => {
          const git = gitIn(mirror);
          for (const worktree of await this.#listWorktrees(mirror)) {
            const pid = Number(/pid=(\d+)/.exec(worktree.lock ?? '')?.[1]);
            if (pid && isAlive(pid) && pid !== process.pid) continue;
            if (!pid && worktree.lock !== undefined) continue;
            await this.#rescue(worktree.path, worktree.branch);
            const pooled = worktree.path.startsWith(join(this.root, 'pool'));
            if (pooled && existsSync(worktree.path)) {
              const base = (await git.raw(['rev-parse', 'HEAD']).catch(() => '')).trim();
              await gitIn(worktree.path).raw(['checkout', '--quiet', '--force', '--detach']).catch(() => undefined);
              await resetWorktree(worktree.path, base || 'HEAD', keep).catch(() => undefined);
              await git.raw(['worktree', 'lock', '--reason', `${LOCK_PREFIX}${process.pid} pool`, worktree.path]).catch(async () => {
                await git.raw(['worktree', 'unlock', worktree.path]).catch(() => undefined);
                await git.raw(['worktree', 'lock', '--reason', `${LOCK_PREFIX}${process.pid} pool`, worktree.path]).catch(() => undefined);
              });
              this.#free.set(repo.fullName, [...(this.#free.get(repo.fullName) ?? []), worktree.path]);
            } else {
              await this.#remove(git, worktree.path);
            }
            if (worktree.branch) await deleteIfEmpty(git, worktree.branch);
            pruned.push(worktree.path);
          }
          await git.raw(['worktree', 'prune']);
        });
      }
    }
    return pruned;
  }

  /** Commits whatever an interrupted run left in its worktree, so that its branch keeps it. */
  async #rescue(path: string, branch: string | undefined): Promise<void> {
    if (!branch || !existsSync(path)) return;
    const git = gitIn(path, { GIT_AUTHOR_NAME: 'switchyard[bot]', GIT_AUTHOR_EMAIL: 'switchyard[bot]@users.noreply.github.com', GIT_COMMITTER_NAME: 'switchyard[bot]', GIT_COMMITTER_EMAIL: 'switchyard[bot]@users.noreply.github.com' });
    try {
      await git.raw(['add', '--all']);
      const staged = (await git.raw(['diff', '--cached', '--name-only'])).trim();
      if (staged) await git.raw(['commit', '--quiet', '--no-verify', '-m', 'wip: work of an interrupted run, kept by Switchyard']);
    } catch {
      // Nothing to rescue from a worktree git cannot read.
    }
  }

  async #remove(git: ReturnType<typeof gitIn>, path: string): Promise<void> {
    await git.raw(['worktree', 'unlock', path]).catch(() => undefined);
    try {
      await git.raw(['worktree', 'remove', '--force', '--force', path]);
    } catch {
      await rm(path, { recursive: true, force: true });
      await git.raw(['worktree', 'prune']);
    }
  }

  async #poolCount(repo: RepoRef): Promise<number> {
    const dir = this.poolDir(repo);
    return existsSync(dir) ? (await readdir(dir)).length : 0;
  }

  async #gitDirOf(path: string): Promise<string> {
    const pointer = await readFile(join(path, '.git'), 'utf8');
    return pointer.replace(/^gitdir:\s*/, '').trim();
  }

  async #listWorktrees(mirror: string): Promise<Array<{ path: string; branch: string | undefined; lock: string | undefined }>> {
    if (!existsSync(join(mirror, 'HEAD'))) return [];
    const out = await gitIn(mirror).raw(['worktree', 'list', '--porcelain']);
    return out
      .split('\n\n')
      .map((block) => {
        const lines = block.split('\n');
        const path = lines.find((l) => l.startsWith('worktree '))?.slice('worktree '.length) ?? '';
        const branch = lines.find((l) => l.startsWith('branch '))?.slice('branch refs/heads/'.length);
        const lockLine = lines.find((l) => l === 'locked' || l.startsWith('locked '));
        return { path, branch, lock: lockLine === undefined ? undefined : lockLine.slice('locked'.length).trim() };
      })
      .filter((w) => w.path && w.path !== mirror && basename(w.path) !== basename(mirror));
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

/** Everything back to `base`: tracked changes undone, untracked and ignored files gone but the keep-list. */
export async function resetWorktree(path: string, base: string, keep: readonly string[]): Promise<void> {
  const git = gitIn(path);
  await git.raw(['checkout', '--quiet', '--force', '--detach', base]);
  await git.raw(['reset', '--quiet', '--hard', base]);
  await git.raw(['clean', '-ffdxq', ...keep.flatMap((k) => ['-e', k])]);
  await rm(join(path, SWITCHYARD_DIR), { recursive: true, force: true });
}

/** Deletes a local branch that holds no commit beyond what the remote already has. */
async function deleteIfEmpty(git: ReturnType<typeof gitIn>, branch: string): Promise<void> {
  const ahead = await git.raw(['rev-list', '--count', `refs/heads/${branch}`, '--not', '--remotes=origin']).catch(() => '0');
  if (Number(ahead.trim()) === 0) await git.raw(['branch', '-D', branch]).catch(() => undefined);
}
