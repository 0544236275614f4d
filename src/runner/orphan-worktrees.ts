/**
 * The crash clean-up of a repository cache's worktrees, at start-up: for every mirror, the
 * worktrees whose owning process is gone have their uncommitted work committed (kept for the
 * rescue), and are removed, or cleaned and put back in the pool.
 */
import { existsSync } from 'node:fs';
import { readdir, rm, rmdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { RepoRef } from '../domain/run.ts';
import { trustedGit } from './git.ts';
import { deleteIfEmpty, listWorktrees, removeWorktree, rescue, resetWorktree, sealMirror } from './worktree-git.ts';

/** How a live process marks the worktrees it owns (`git worktree lock --reason`). */
export const LOCK_PREFIX = 'switchyard pid=';

/** A worktree cleaned up after its process died, and the commit that keeps what it held, if anything. */
export interface PrunedWorktree {
  path: string;
  repo: Pick<RepoRef, 'owner' | 'name' | 'fullName'>;
  branch: string | undefined;
  rescuedSha: string | undefined;
}

/** What the clean-up needs of the repository cache. */
export interface OrphanCache {
  readonly root: string;
  exclusive<T>(repo: Pick<RepoRef, 'fullName'>, work: () => Promise<T>): Promise<T>;
  trustedIndexOf(repo: Pick<RepoRef, 'owner' | 'name'>, worktree: string): string;
  /** Puts a cleaned pooled worktree back among the free ones. */
  makeFree(repo: Pick<RepoRef, 'fullName'>, path: string): void;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Cleans up the worktrees of dead processes (see the module comment). Worktrees of live processes
 * are not touched, nor any path outside the cache's own worktree folders (an agent can rewrite
 * where git thinks its worktree is). Returns what it cleaned up.
 */
export async function pruneOrphanWorktrees(cache: OrphanCache, keep: readonly string[]): Promise<PrunedWorktree[]> {
  const pruned: PrunedWorktree[] = [];
  const mirrorsRoot = join(cache.root, 'mirrors');
  if (!existsSync(mirrorsRoot)) return pruned;
  for (const owner of await readdir(mirrorsRoot)) {
    for (const entry of await readdir(join(mirrorsRoot, owner))) {
      const mirror = join(mirrorsRoot, owner, entry);
      const repo = { owner, name: entry.replace(/\.git$/, ''), fullName: `${owner}/${entry.replace(/\.git$/, '')}` };
      await cache.exclusive(repo, async () => {
        // A process killed while creating the mirror leaves a folder that is no repository yet:
        // it holds no worktree, and the next run creates the mirror afresh.
        if (!existsSync(join(mirror, 'HEAD'))) {
          await rm(mirror, { recursive: true, force: true });
          return;
        }
        await sealMirror(mirror);
        const git = trustedGit({ gitDir: mirror });
        const ours = [
          join(cache.root, 'worktrees', repo.owner, repo.name),
          join(cache.root, 'pool', repo.owner, repo.name),
        ].map((dir) => `${dir}${sep}`);
        for (const worktree of await listWorktrees(mirror)) {
          if (!ours.some((prefix) => worktree.path.startsWith(prefix))) continue;
          const pid = Number(/pid=(\d+)/.exec(worktree.lock ?? '')?.[1]);
          if (pid && isAlive(pid) && pid !== process.pid) continue;
          if (!pid && worktree.lock !== undefined) continue;
          const rescuedSha = await rescue(mirror, worktree.path, worktree.branch, join(cache.root, 'runs'));
          const pooled = worktree.path.startsWith(join(cache.root, 'pool'));
          if (pooled && existsSync(worktree.path)) {
            const base = (
              await git.raw(['rev-parse', `refs/heads/${worktree.branch ?? 'HEAD'}^{commit}`]).catch(() => '')
            ).trim();
            // After a crash the index kept for the run's base may not be this one's: checked out anew.
            await rm(cache.trustedIndexOf(repo, worktree.path), { force: true });
            await resetWorktree(mirror, worktree.path, base || 'HEAD', keep).catch(() => undefined);
            await git
              .raw(['worktree', 'lock', '--reason', `${LOCK_PREFIX}${process.pid} pool`, worktree.path])
              .catch(async () => {
                await git.raw(['worktree', 'unlock', worktree.path]).catch(() => undefined);
                await git
                  .raw(['worktree', 'lock', '--reason', `${LOCK_PREFIX}${process.pid} pool`, worktree.path])
                  .catch(() => undefined);
              });
            cache.makeFree(repo, worktree.path);
          } else {
            await removeWorktree(git, worktree.path);
            await rm(cache.trustedIndexOf(repo, worktree.path), { force: true });
          }
          if (worktree.branch) await deleteIfEmpty(git, worktree.branch);
          pruned.push({ path: worktree.path, repo, branch: worktree.branch, rescuedSha });
        }
        await git.raw(['worktree', 'prune']);
        // A folder placed for a checkout that a crash cut short holds nothing; in the pool it
        // would count as a slot for good. rmdir removes only an empty one.
        for (const dir of ours) {
          const entries = await readdir(dir).catch(() => []);
          await Promise.all(entries.map((entry) => rmdir(join(dir, entry)).catch(() => undefined)));
        }
      });
    }
  }
  return pruned;
}
