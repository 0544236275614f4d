/**
 * The work of interrupted attempts: at start-up a worker commits what the worktrees of its
 * dead predecessor held (`RepoCache.pruneOrphans`, in `runner/orphan-worktrees.ts`). Here that commit is pushed to a branch of its
 * own, `<run branch>-rescued-<sha>`, so a retry that starts again from the base cannot overwrite
 * it, and the run's status comment names the branch. A commit that holds one of Switchyard's
 * secrets is not pushed.
 */
import type { PrunedWorktree, RepoCache } from '../runner/repo-cache.ts';
import { pathHoldingSecret } from '../runner/secret-guard.ts';
import type { JobContext } from './context.ts';

export type RescueDeps = Pick<JobContext, 'store' | 'tokenFor' | 'send' | 'redactor' | 'log'> & { cache: RepoCache };

/** Pushes each rescued commit; returns the branches it pushed. */
export async function pushRescuedWork(pruned: readonly PrunedWorktree[], deps: RescueDeps): Promise<string[]> {
  const pushed: string[] = [];
  for (const worktree of pruned) {
    if (!worktree.rescuedSha || !worktree.branch) continue;
    const sha = worktree.rescuedSha;
    const run = await deps.store.runOfBranch(worktree.repo.fullName, worktree.branch);
    if (!run) continue;
    const log = deps.log.child({ run: run.id, repo: run.repo, issue: run.issueNumber });
    const target = `${worktree.branch}-rescued-${sha.slice(0, 7)}`;
    try {
      const leaked = await pathHoldingSecret(deps.cache.mirrorDir(worktree.repo), `${sha}^`, sha, deps.redactor);
      if (leaked) {
        log.warn({ path: deps.redactor.redact(leaked) }, 'rescued work not pushed: it holds a secret');
        continue;
      }
      const token = await deps.tokenFor(run.installationId, run.trigger.repo.name);
      deps.redactor.add(token.token);
      try {
        await deps.cache.push(run.trigger.repo, token.token, sha, target);
      } finally {
        await token.revoke().catch(() => undefined);
      }
      await deps.store.setRescuedBranch(run.id, target);
      await deps.send.report({ repo: run.repo, issueNumber: run.issueNumber });
      log.info({ branch: target }, 'pushed the work of an interrupted attempt');
      pushed.push(target);
    } catch (error) {
      log.warn(
        { err: error, branch: target },
        'could not push the work of an interrupted attempt; it stays in the mirror',
      );
    }
  }
  return pushed;
}
