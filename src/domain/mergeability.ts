/**
 * Keeping a batch mergeable: how a pull request stands against its base, what Switchyard did
 * about it, and which repair comes next. Cheapest first: nothing while it merges, a replay of
 * the run's own commit (a three-way merge in the mirror), an agent re-run on the new base, and
 * then a person.
 */

/** GitHub's question, asked in Switchyard's mirror: `behind` merges cleanly but lacks the base's newest commits. */
export type MergeState = 'clean' | 'behind' | 'conflicting';

/** What Switchyard did about it at its last check. */
export type MergeAction =
  /** Nothing was needed (or the repository asks for nothing). */
  | 'none'
  /** The run's commit was replayed onto the new base and pushed. */
  | 'replayed'
  /** A stacked pull request was moved onto its merged parent's base, or onto its parent's new head. */
  | 'restacked'
  /** An agent re-run is resolving the conflict. */
  | 'repairing'
  /** Conflicting, and repaired once an older open pull request it collides with has merged or closed. */
  | 'waiting'
  /** Switchyard will not repair it; a person decides (the reason says why and how to hand it back). */
  | 'handed-off';

/** What the status comment, the pull request, `/agent plan` and the dashboard say about a pull request's mergeability. */
export interface Mergeability {
  /** The branch the pull request targets. */
  base: string;
  state: MergeState;
  action: MergeAction;
  /** The files that conflict (or conflicted, before a repair). */
  files: string[];
  /** The merged pull requests whose changes on the base collide, or moved it. */
  after: number[];
  /** One sentence of what happened, for people. */
  said: string;
  /** What a replay did to the pull request's change (a range-diff summary). */
  changed?: string | undefined;
  /** Open pull requests of the same base this one conflicts with: whichever merges first makes the other conflict. */
  collidesWith: Array<{ number: number; files: string[] }>;
  /** An agent repair made this pull request mergeable again. */
  repaired?: boolean | undefined;
  /** The head this was said about (a hand-off is said once per head). */
  head: string;
  checkedAt: string;
}

/** How the repository wants its pull requests kept up to date (`pullRequest.update`). */
export type UpdatePolicy = 'conflicting' | 'behind' | 'never';

/** The first step for a pull request whose check came back with `state`. */
export type FirstStep = { kind: 'leave' } | { kind: 'replay' };

/**
 * Whether to replay the run's commit onto its base: always when it must move (a stacked parent
 * merged or moved), otherwise as the repository's policy says.
 */
export function firstStep(state: MergeState, policy: UpdatePolicy, mustMove: boolean): FirstStep {
  if (mustMove) return { kind: 'replay' };
  if (state === 'clean' || policy === 'never') return { kind: 'leave' };
  if (state === 'behind' && policy !== 'behind') return { kind: 'leave' };
  return { kind: 'replay' };
}

/** After a replay that conflicted: an agent re-run while the pull request has repairs left, else a person. */
export type AfterConflict = { kind: 'rerun'; repair: number } | { kind: 'hand-off'; reason: string };

export function afterConflict(repairsUsed: number, maxRepairs: number, budgetSpent: string | undefined): AfterConflict {
  if (maxRepairs === 0)
    return { kind: 'hand-off', reason: 'the repository turned agent repairs off (`pullRequest.maxRepairs: 0`)' };
  if (repairsUsed >= maxRepairs)
    return {
      kind: 'hand-off',
      reason: `the agent already had the ${maxRepairs} repair${maxRepairs === 1 ? '' : 's'} \`pullRequest.maxRepairs\` allows`,
    };
  if (budgetSpent) return { kind: 'hand-off', reason: budgetSpent };
  return { kind: 'rerun', repair: repairsUsed + 1 };
}

/** `#12`, `#12 and #13`, `#12, #13 and #14`. */
export function listOfPulls(numbers: readonly number[]): string {
  const named = numbers.map((n) => `#${n}`);
  if (named.length <= 1) return named.join('');
  return `${named.slice(0, -1).join(', ')} and ${named.at(-1) ?? ''}`;
}

/** The newest push GitHub announced of a branch: `ref` is `refs/heads/…`. */
export interface BranchPush {
  ref: string;
  sha: string;
  seenAt: Date;
}

/** An open pull request's run, as far as {@link quietPass} reads it. */
export interface PassCandidate {
  branch: string;
  headSha: string | null;
  baseBranch: string | null;
  createdAt: Date;
  mergeability: Mergeability | null;
  trigger: { kind?: string | undefined; repo: { defaultBranch: string } };
}

/**
 * Pushes seen this long before a check still count as after it: the database's clock and a
 * worker's may differ a little, and a pass that runs for nothing costs only requests.
 */
const CLOCK_MARGIN_MS = 2000;

/**
 * Whether a mergeability pass would find nothing new, read from what Switchyard already knows:
 * no push reached the default branch since each pull request was last checked (or, never
 * checked, since its run was created: the run started from the base after that), nobody else
 * pushed to a pull request's branch, and each was last found mergeable with nothing to follow
 * up (no collision, no repair, no wait, no hand-off, not stacked). `unchecked`: the pull requests
 * never checked, still to be looked at against the base and each other (in the mirror, no
 * request needed); `undefined`: only a full pass can tell.
 */
export function quietPass(
  runs: readonly PassCandidate[],
  pushes: readonly BranchPush[],
): { unchecked: PassCandidate[] } | undefined {
  const unchecked: PassCandidate[] = [];
  const pushedAfter = (ref: string, since: Date, unless?: string) =>
    pushes.some(
      (push) => push.ref === ref && push.sha !== unless && push.seenAt.getTime() >= since.getTime() - CLOCK_MARGIN_MS,
    );
  for (const run of runs) {
    const defaultBranch = run.trigger.repo.defaultBranch;
    if (run.trigger.kind === 'repair' || run.baseBranch !== null || run.headSha === null) return undefined;
    const last = run.mergeability;
    if (last) {
      const settled =
        last.base === defaultBranch &&
        last.head === run.headSha &&
        (last.action === 'none' || last.action === 'replayed' || last.action === 'restacked') &&
        (last.state === 'clean' || last.state === 'behind') &&
        last.collidesWith.length === 0 &&
        !last.repaired;
      if (!settled) return undefined;
    } else unchecked.push(run);
    const since = last ? new Date(last.checkedAt) : run.createdAt;
    if (pushedAfter(`refs/heads/${defaultBranch}`, since)) return undefined;
    if (pushedAfter(`refs/heads/${run.branch}`, since, run.headSha)) return undefined;
  }
  return { unchecked };
}
