/**
 * A run's worktree checked out where the repository cache placed it, outside the repository's
 * lock: each checkout writes only its own worktree, its own administrative folder in the mirror
 * (created with `--lock`, so a prune never takes it half made) and its own branch, which git
 * locks by itself.
 */
import { readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { trustedGit } from './git.ts';
import { LOCK_PREFIX } from './orphan-worktrees.ts';
import { keepTrustedIndex } from './trusted-index.ts';
import { adminDirOf, worktreeGit } from './worktree-git.ts';

export interface PreparedWorktree {
  path: string;
  branch: string;
  baseSha: string;
  /** The worktree's administrative folder inside the mirror. */
  gitDir: string;
  /** Taken from the warm pool, and returned to it afterwards. */
  pooled: boolean;
  /** The index Switchyard kept right after checking out `baseSha`, outside every sandbox. */
  trustedIndex: string;
}

/** Where a run's worktree goes and what it starts from, chosen under the repository's lock. */
export interface WorktreePlace {
  mirror: string;
  baseSha: string;
  path: string;
  pooled: boolean;
  /** A free pooled worktree, already checked out, rather than an empty folder. */
  reused: boolean;
}

/** Checks out the run's base in the placed worktree: a pooled one moved there, or a new one. */
export async function checkOutWorktree(
  place: WorktreePlace,
  options: { token: string; runId: string; branch: string; trustedIndex: string },
): Promise<PreparedWorktree> {
  const { token, branch, trustedIndex } = options;
  const { mirror, baseSha, path, pooled } = place;
  const gitDir = adminDirOf(mirror, path);
  if (place.reused) {
    // A pooled worktree is already clean (reset when returned); move it to the new base.
    await worktreeGit(mirror, path).then((wt) => wt.raw(['checkout', '--quiet', '--force', '-B', branch, baseSha]));
    await keepTrustedIndex(gitDir, trustedIndex);
    return { path, branch, baseSha, gitDir, pooled: true, trustedIndex };
  }
  // -B: a branch left by an earlier attempt of the same issue is reset to the new base.
  const added = trustedGit({ gitDir: mirror, token }).raw([
    'worktree',
    'add',
    '--quiet',
    '--lock',
    '--reason',
    `${LOCK_PREFIX}${process.pid} run=${options.runId}`,
    '--no-track',
    '-B',
    branch,
    path,
    baseSha,
  ]);
  // git removes what it made of a worktree it could not add, but not the folder placed for it.
  await added.catch(async (error: unknown) => {
    await rmdir(path).catch(() => undefined);
    throw error;
  });
  const pointer = (await readFile(join(path, '.git'), 'utf8')).replace(/^gitdir:\s*/, '').trim();
  if (pointer !== gitDir) throw new Error(`git put the worktree's folder at ${pointer}, not ${gitDir}`);
  await keepTrustedIndex(gitDir, trustedIndex);
  return { path, branch, baseSha, gitDir, pooled, trustedIndex };
}
