/** The end of a run's git work: its files committed from the trusted side, then pushed. */
import { join } from 'node:path';
import type { RunOutcome } from '../domain/outcome.ts';
import type { StepClock } from '../domain/steps.ts';
import type { Redactor } from '../log/redact.ts';
import { commitMessage, diffStat } from './commit.ts';
import type { RunRequest } from './request.ts';
import type { GitIdentity } from './git.ts';
import type { PreparedWorktree, RepoCache } from './repo-cache.ts';
import { pathHoldingSecret } from './secret-guard.ts';
import { largeFilesMessage, refusedMessage, snapshot } from './snapshot.ts';

/**
 * Reads the agent's result as files from the trusted side, commits it in the mirror, and pushes
 * that one commit unless it holds one of Switchyard's secrets. The agent has exited by now.
 */
export async function commitAndPush(
  trusted: { cache: RepoCache; identity: GitIdentity; redactor: Redactor },
  request: RunRequest,
  worktree: PreparedWorktree,
  privateDir: string,
  outcome: RunOutcome,
  clock: StepClock,
): Promise<void> {
  const mirror = trusted.cache.mirrorDir(request.repo);
  // Outside the sandbox the agent could have written the mirror's config (a clean filter, say).
  await trusted.cache.seal(request.repo);
  const snapshotStarted = performance.now();
  const result = await snapshot({
    mirror,
    worktree: worktree.path,
    indexFile: join(privateDir, 'index'),
    baseSha: worktree.baseSha,
    trustedIndex: worktree.trustedIndex,
    identity: trusted.identity,
    message: commitMessage(request, outcome.state),
  });
  outcome.refused = [...result.refused, ...result.tooLarge.map((file) => file.path)];
  if (result.refused.length > 0) {
    if (!result.commitSha && outcome.state === 'succeeded') outcome.state = 'failed';
    outcome.reason = [outcome.reason, refusedMessage(result.refused, !result.commitSha)].filter(Boolean).join(' ');
  }
  if (result.tooLarge.length > 0 || result.large.length > 0) {
    if (!result.commitSha && outcome.state === 'succeeded') outcome.state = 'failed';
    const said = largeFilesMessage(result.tooLarge, result.large, !result.commitSha);
    outcome.reason = [outcome.reason, said].filter(Boolean).join(' ');
  }
  if (!result.commitSha) return clock.add('snapshot', performance.now() - snapshotStarted);
  outcome.changed = true;
  const commitSha = (outcome.commitSha = result.commitSha);
  const git = trusted.cache.mirrorGit(request.repo);
  outcome.diffStat = await diffStat(git, worktree.baseSha, commitSha);
  if (request.startFrom) {
    // The pull request's change as a whole is what its status shows; the round's own commit is kept apart.
    outcome.ownDiffStat = outcome.diffStat;
    const base = (
      await git.raw(['merge-base', `refs/remotes/origin/${request.base}`, commitSha]).catch(() => '')
    ).trim();
    if (base) outcome.diffStat = await diffStat(git, base, commitSha);
  }
  clock.add('snapshot', performance.now() - snapshotStarted);
  const leaked = await clock.time('secretGuard', () =>
    pathHoldingSecret(mirror, worktree.baseSha, commitSha, trusted.redactor),
  );
  if (leaked) {
    outcome.state = 'failed';
    outcome.reason = `Switchyard did not push ${worktree.branch}: \`${trusted.redactor.redact(leaked)}\` holds one of Switchyard's own secrets (its private key, webhook secret, database password or an installation token). The work was not kept.`;
    request.log.warn({ path: trusted.redactor.redact(leaked) }, 'push refused: the changes hold a secret');
    return;
  }
  try {
    await clock.time('push', () =>
      trusted.cache.push(request.repo, request.token, commitSha, worktree.branch, request.startFrom),
    );
    outcome.pushed = true;
  } catch (error) {
    outcome.state = 'failed';
    outcome.reason = `Could not push branch ${worktree.branch}: ${trusted.redactor.redact(firstLine(error))}`;
  }
}

/** The first line of an error's message that says something. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').find((line) => line.trim()) ?? message;
}
