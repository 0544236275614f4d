/**
 * What people read about a pull request's mergeability: a section of the pull request's body,
 * the line of the status comment, and the context an agent gets when it repairs a conflict.
 */
import { listOfPulls, type MergeState, type Mergeability, type UpdatePolicy } from '../domain/mergeability.ts';
import type { PromptComment } from '../domain/run.ts';
import { hasSection, withSection } from './body-section.ts';

const ICON: Record<Mergeability['action'], string> = {
  none: '✔️',
  replayed: '🔀',
  restacked: '🔀',
  repairing: '🛠️',
  waiting: '⏳',
  'handed-off': '⚠️',
};

/** Whether a pull request's mergeability is worth a word in its issue's status: not when it merges and collides with nothing. */
export function worthSaying(mergeability: Mergeability): boolean {
  return !(
    mergeability.state === 'clean' &&
    mergeability.action === 'none' &&
    mergeability.collidesWith.length === 0 &&
    !mergeability.repaired
  );
}

/** The sentence with its icon, and the collisions Switchyard foresees, as markdown lines. */
export function mergeabilityLines(mergeability: Mergeability): string[] {
  const icon = mergeability.state === 'clean' && mergeability.action === 'none' ? ICON.none : ICON[mergeability.action];
  const lines = [`${icon} ${mergeability.said}`];
  if (mergeability.collidesWith.length > 0) {
    const pulls = listOfPulls(mergeability.collidesWith.map((c) => c.number));
    const files = [...new Set(mergeability.collidesWith.flatMap((c) => c.files))].map((f) => `\`${f}\``).join(', ');
    lines.push(
      `Conflicts with ${pulls} in ${files}: whichever merges first makes the other conflict, and Switchyard then repairs it.`,
    );
  }
  return lines;
}

/** Whether a pull request's body has Switchyard's mergeability section yet. */
export function hasMergeabilitySection(body: string): boolean {
  return hasSection(body, 'mergeability');
}

/** The pull request's body with its mergeability section put in (or replaced), at the end. */
export function withMergeabilitySection(body: string, mergeability: Mergeability): string {
  return withSection(body, 'mergeability', 'Mergeability', mergeabilityLines(mergeability));
}

export interface ConflictContext {
  pullRequest: number;
  base: string;
  files: readonly string[];
  /** The merged pull requests that collide, with their issues where Switchyard opened them. */
  collide: ReadonlyArray<{ number: number; issue: number | undefined }>;
  previousDiff: string;
}

/** What the agent of a repair is told: what conflicts with what, and its previous change as a reference. */
export function conflictContext(context: ConflictContext): PromptComment {
  const colliding = context.collide
    .map(({ number, issue }) => (issue ? `#${number} (for issue #${issue})` : `#${number}`))
    .join(', ');
  return {
    author: 'switchyard',
    body: [
      `This is a repair. The pull request #${context.pullRequest} made for this issue no longer merges into \`${context.base}\`:`,
      `${colliding ? `${colliding} merged into \`${context.base}\` and changed` : `\`${context.base}\` changed`} the same lines of ${context.files.map((f) => `\`${f}\``).join(', ')}.`,
      `The checkout now starts from the current \`${context.base}\`. Make this issue's change again on top of it, keeping what is already there.`,
      'The previous change, for reference (it no longer applies as it is):',
      '',
      '```diff',
      context.previousDiff.trimEnd(),
      '```',
    ].join('\n'),
  };
}

/** What is said of a pull request Switchyard leaves as it is. */
export function steadySaying(base: string, state: MergeState, update: UpdatePolicy): string {
  if (state === 'clean') return `Mergeable into \`${base}\`.`;
  if (state === 'behind')
    return update === 'never'
      ? `Behind \`${base}\`; the repository asks Switchyard not to update it (\`pullRequest.update: never\`).`
      : `Behind \`${base}\` but mergeable; Switchyard updates it only when it conflicts (\`pullRequest.update: ${update}\`).`;
  return `Conflicts with \`${base}\`; the repository asks Switchyard not to update it (\`pullRequest.update: never\`).`;
}

/** Up to five files, in backticks. */
export function fileList(files: readonly string[]): string {
  const shown = files.slice(0, 5).map((file) => `\`${file}\``);
  return shown.join(', ') + (files.length > 5 ? ` and ${files.length - 5} more` : '');
}

/** A hint for conflicts only in files where both sides' lines usually belong. */
export function unionHint(files: readonly string[]): string {
  const listLike = files.filter((file) => /(^|\/)(CHANGELOG|CHANGES|HISTORY|NEWS)(\.[a-z]+)?$/i.test(file));
  return listLike.length > 0
    ? ` (For ${fileList(listLike)}, \`pullRequest.unionMerge\` in \`.github/switchyard.yml\` keeps both sides' lines without an agent.)`
    : '';
}
