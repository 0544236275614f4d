/**
 * Red checks get fixed: what a repository's CI said about the head of a Switchyard pull request
 * (check runs and commit statuses), the rounds of fixes the agent made, and the decision of what
 * to do next. Pure: the job reads GitHub, this decides.
 */

/** A check of a commit that did not pass, as CI reported it. */
export interface FailingCheck {
  name: string;
  /** A check run (GitHub Checks) or a commit status. */
  kind: 'check-run' | 'status';
  /** `failure`, `timed_out`, `cancelled`…, or a status' `failure` / `error`. */
  conclusion: string;
  /** The check's title and summary, or the status' description: one line. */
  summary: string;
}

export type RoundResult =
  /** The round's run is under way, or its push waits for CI. */
  | 'running'
  /** CI passed on the head the round pushed. */
  | 'passed'
  /** CI failed again on the head the round pushed. */
  | 'failed'
  /** The round's run pushed nothing (it failed, or changed no file). */
  | 'no-change';

/** One round: the agent run again on the pull request's head, with the failures as context. */
export interface CheckRound {
  round: number;
  /** The checks it was asked to fix. */
  fixing: string[];
  /** The head whose checks failed. */
  from: string;
  /** The head the round pushed, once it did. */
  head?: string | undefined;
  /** What the agent changed, as `+2 −1 in 1 file`. */
  changed?: string | undefined;
  result: RoundResult;
}

export type CiAction =
  /** Nothing to do: CI passes, or the repository does not ask for fixes. */
  | 'none'
  /** A round is under way. */
  | 'fixing'
  /** The rounds are spent; a person takes it from here. */
  | 'spent'
  /** What fails fails on the base branch too: not this pull request's to fix. */
  | 'not-ours'
  /** A round would be due, but a budget is spent. */
  | 'budget';

/** A pull request's CI as Switchyard last read it, kept with the newest run. */
export interface CiChecks {
  /** The head the checks ran on. */
  head: string;
  state: 'passing' | 'failing';
  action: CiAction;
  failing: FailingCheck[];
  /** Failing checks that fail on the base branch too. */
  redOnBase: string[];
  rounds: CheckRound[];
  /** One sentence for the status comment and the pull request. */
  said: string;
  checkedAt: string;
}

export type CiStep =
  | { kind: 'wait' }
  | { kind: 'green' }
  | { kind: 'not-ours'; checks: FailingCheck[] }
  | { kind: 'fix'; round: number; checks: FailingCheck[]; notOurs: FailingCheck[] }
  | { kind: 'spent'; checks: FailingCheck[] }
  | { kind: 'budget'; checks: FailingCheck[]; reason: string };

export interface CiSituation {
  /** Every check of the head that did not pass; empty when all passed. */
  failing: readonly FailingCheck[];
  /** A check of the head has not finished yet: one round sees them all, so it waits. */
  pending: boolean;
  /** Names of checks that fail on the base branch's head too. */
  redOnBase: ReadonlySet<string>;
  /** Rounds spent on this pull request so far. */
  roundsSpent: number;
  /** `pullRequest.fixFailingChecks`. */
  maxRounds: number;
  /** Why no more may be spent today, when a budget is spent. */
  budgetSpent?: string | undefined;
}

/** What to do about a head's CI. */
export function nextCiStep(situation: CiSituation): CiStep {
  if (situation.pending) return { kind: 'wait' };
  if (situation.failing.length === 0) return { kind: 'green' };
  const ours = situation.failing.filter((check) => !situation.redOnBase.has(check.name));
  const notOurs = situation.failing.filter((check) => situation.redOnBase.has(check.name));
  if (ours.length === 0) return { kind: 'not-ours', checks: notOurs };
  if (situation.roundsSpent >= situation.maxRounds) return { kind: 'spent', checks: ours };
  if (situation.budgetSpent) return { kind: 'budget', checks: ours, reason: situation.budgetSpent };
  return { kind: 'fix', round: situation.roundsSpent + 1, checks: ours, notOurs };
}

/**
 * The conclusions of a check run that the agent may fix: `cancelled` (a newer push superseded it)
 * and `action_required` (it waits for a person) are not its to fix.
 */
export function isFailingConclusion(conclusion: string | null | undefined): boolean {
  return conclusion === 'failure' || conclusion === 'timed_out' || conclusion === 'startup_failure';
}
