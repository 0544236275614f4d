/**
 * A run's final state, decided in one place: from what the runner handed back, what happened
 * meanwhile (a cancel, the worker shutting down with no retry left), and what became of its pull
 * request. Pure: the finish step writes what this returns.
 */
import { formatDuration } from './duration.ts';
import type { RunOutcome } from './outcome.ts';
import type { RunOutcomeFields } from './run.ts';

/** What happened around the run while the runner worked. */
export interface Meanwhile {
  /** Why the run was stopped, when something stopped it (a person's cancel, the worker's shutdown). */
  cancelReason?: string | undefined;
  /** The worker shut down under it and no retry is left. */
  shutDownForGood?: boolean | undefined;
  /** How long the run took so far. */
  elapsedMs: number;
}

/** What became of the pull request of a run that had one to open. */
export type PullRequestResult =
  | { kind: 'opened'; number: number; url: string }
  | { kind: 'refused'; problem: string }
  /** The earlier pull request was closed without merging: none is opened again. */
  | { kind: 'closed-earlier'; number: number | null }
  /** The pull request a repair run was repairing was merged (or closed) while it ran: none is opened instead. */
  | { kind: 'gone-meanwhile'; number: number; url: string; state: 'merged' | 'closed' };

/** Whether a run's outcome asks for a pull request: it succeeded and pushed a change. */
export function wantsPullRequest(outcome: Pick<RunOutcome, 'state' | 'changed' | 'pushed'>): boolean {
  return outcome.state === 'succeeded' && outcome.changed && outcome.pushed;
}

/** The reason an outcome carries once what happened meanwhile is said. */
export function reasonAfter(outcome: Pick<RunOutcome, 'state' | 'reason'>, meanwhile: Meanwhile): string | undefined {
  if (outcome.state === 'cancelled' && meanwhile.cancelReason) {
    return `Cancelled after ${formatDuration(meanwhile.elapsedMs)}: ${meanwhile.cancelReason}.`;
  }
  if (meanwhile.shutDownForGood) return 'The worker running it shut down, and no retry is left.';
  return outcome.reason;
}

/** The record a run ends with. */
export function finalState(
  outcome: RunOutcome,
  meanwhile: Meanwhile,
  pullRequest: PullRequestResult | undefined,
  branch: string,
): RunOutcomeFields {
  let state = outcome.state;
  let reason = reasonAfter(outcome, meanwhile);
  // Work is never thrown away: a run that did not succeed says where its pushed work is.
  let keptBranch = state !== 'succeeded' && outcome.pushed;
  if (pullRequest?.kind === 'closed-earlier') {
    keptBranch = true;
    const closed = `Pull request #${String(pullRequest.number)} was closed without merging, so no new one was opened. Comment \`/agent retry\` to run again and open one.`;
    reason = [reason, closed].filter(Boolean).join(' ');
  } else if (pullRequest?.kind === 'refused') {
    state = 'failed';
    keptBranch = true;
    reason = `The changes are on branch \`${branch}\`, but the pull request could not be opened: ${pullRequest.problem}`;
  } else if (pullRequest?.kind === 'gone-meanwhile') {
    const gone = `Pull request #${String(pullRequest.number)} was ${pullRequest.state === 'merged' ? 'merged' : 'closed'} while the agent repaired it, so no new one was opened.`;
    reason = [reason, gone].filter(Boolean).join(' ');
  }
  const opened = pullRequest?.kind === 'opened' || pullRequest?.kind === 'gone-meanwhile' ? pullRequest : undefined;
  return {
    state,
    reason: reason ?? null,
    logTail: outcome.logTail || null,
    diffStat: outcome.diffStat ?? null,
    agentMs: outcome.agentMs,
    pullRequestNumber: opened?.number ?? null,
    pullRequestUrl: opened?.url ?? null,
    pullRequestState: pullRequest?.kind === 'gone-meanwhile' ? pullRequest.state : undefined,
    headSha: outcome.pushed ? (outcome.commitSha ?? null) : null,
    keptBranch,
    usage: outcome.usage ?? null,
    summary: outcome.summary ?? null,
  };
}
