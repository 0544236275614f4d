/** The last step of a mergeability pass: what it found, kept with the run and shown on GitHub. */
import type { Mergeability } from '../domain/mergeability.ts';
import { repoParams } from '../github/client.ts';
import { fileList, hasMergeabilitySection, withMergeabilitySection } from '../github/mergeability.ts';
import type { OpenPull, Scope } from './mergeability-scope.ts';

/** What a check found, kept with the run and shown: written (with a report) only when it says something new. */
export async function record(pull: OpenPull, found: Mergeability | undefined, scope: Scope): Promise<void> {
  if (!found) return;
  const before = pull.run.mergeability;
  const steady = found.action === 'none' && found.state === 'clean';
  if (
    steady &&
    before &&
    before.head === found.head &&
    (before.action === 'replayed' || before.action === 'restacked')
  ) {
    // What the last replay did stays true while the head it pushed is the head.
    found = { ...before, collidesWith: found.collidesWith, checkedAt: found.checkedAt };
  } else if (steady && pull.run.trigger.kind === 'repair' && (before?.action === 'repairing' || before?.repaired)) {
    // A check right after an agent repair says what the repair did, until something else happens.
    found = {
      ...found,
      repaired: true,
      files: before.files,
      after: before.after,
      said: `The agent resolved the conflict with \`${found.base}\` in ${fileList(before.files)} (repair ${pull.run.repairs} of ${pull.config.pullRequest.maxRepairs}); mergeable again.`,
    };
  }
  // A pull request that merges (if behind its base, as GitHub shows too) and collides with nothing
  // is not worth a word, nor two requests, until something has been said of it.
  const unremarkable = (m: Mergeability | null | undefined) =>
    !m ||
    (m.action === 'none' &&
      (m.state === 'clean' || m.state === 'behind') &&
      m.collidesWith.length === 0 &&
      !m.repaired);
  const quiet = unremarkable(found) && unremarkable(before);
  const body = withMergeabilitySection(pull.body, found);
  if (body !== pull.body && !(quiet && !hasMergeabilitySection(pull.body)))
    await scope.octokit.rest.pulls.update({ ...repoParams(pull.run.trigger.repo), pull_number: pull.number, body });
  // A repair's mergeability is the repair run's, written as it was started.
  if (found.action === 'repairing') return;
  const same =
    before &&
    before.said === found.said &&
    before.head === found.head &&
    JSON.stringify(before.collidesWith) === JSON.stringify(found.collidesWith);
  // Kept even when nothing else changed: when it was last checked tells the next pass what is news.
  await scope.ctx.store.setMergeability(pull.run.id, found);
  if (same) return;
  if (!(quiet && !before)) await scope.ctx.send.report({ repo: pull.run.repo, issueNumber: pull.run.issueNumber });
}
