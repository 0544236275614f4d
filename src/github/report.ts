/** What goes back to GitHub when a run starts and ends: the status comment and the pull request. */
import type { RunOutcome } from '../runner/execute.ts';
import type { RunRecord, Store } from '../store/records.ts';
import type { GitHubClient } from './client.ts';
import { openOrUpdatePullRequest, type PullRequestRef } from './pull-request.ts';
import { renderStatus, writeStatusComment, type StatusView } from './status-comment.ts';

export async function reportStarted(octokit: GitHubClient, store: Store, run: RunRecord, note?: string): Promise<void> {
  await writeStatusComment(octokit, store, run.trigger.repo, run.issueNumber, renderStatus({ agent: run.agent, attempt: run.attempt, state: 'running', reason: note }));
}

export function summaryFor(run: RunRecord): string {
  return run.agent === 'patch' ? `Applies the diff given in #${run.issueNumber}.` : `Changes made by the \`${run.agent}\` agent for #${run.issueNumber}.`;
}

/**
 * Opens the pull request of a successful run that changed files, records the outcome, and
 * writes the final status comment.
 */
export async function reportFinished(
  octokit: GitHubClient,
  store: Store,
  run: RunRecord,
  outcome: RunOutcome,
  durationMs: () => number,
): Promise<RunRecord> {
  let pullRequest: PullRequestRef | undefined;
  let state = outcome.state;
  let reason = outcome.reason;
  if (state === 'succeeded' && outcome.changed && outcome.pushed) {
    try {
      pullRequest = await openOrUpdatePullRequest(octokit, {
        repo: run.trigger.repo,
        issueNumber: run.issueNumber,
        issueTitle: run.trigger.issue.title,
        branch: run.branch,
        base: run.baseBranch ?? run.trigger.repo.defaultBranch,
        agent: run.agent,
        attempt: run.attempt,
        durationMs: durationMs(),
        diffStat: outcome.diffStat,
        summary: summaryFor(run),
        checks: outcome.checks,
      });
    } catch (error) {
      state = 'failed';
      reason = `The changes are on branch \`${run.branch}\`, but the pull request could not be opened: ${(error as Error).message}`;
    }
  }
  const finished = await store.finishRun(run.id, {
    state,
    reason: reason ?? null,
    logTail: outcome.logTail || null,
    diffStat: outcome.diffStat ?? null,
    agentMs: outcome.agentMs,
    pullRequestNumber: pullRequest?.number ?? null,
    pullRequestUrl: pullRequest?.url ?? null,
  });
  const view: StatusView = {
    agent: run.agent,
    attempt: run.attempt,
    state,
    elapsedMs: durationMs(),
    reason,
    pullRequest,
    diffStat: outcome.diffStat,
    keptBranch: state !== 'succeeded' && outcome.pushed ? run.branch : undefined,
    logTail: state === 'succeeded' ? undefined : outcome.logTail,
    checks: outcome.checks,
  };
  await writeStatusComment(octokit, store, run.trigger.repo, run.issueNumber, renderStatus(view));
  return finished;
}
