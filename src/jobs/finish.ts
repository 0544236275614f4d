/**
 * What goes back to GitHub when a run ends: the pull request (opened, or the open one updated;
 * draft, labels and reviewers per the repository's config), then the run record, from which the
 * status comment and label are written.
 */
import type { RepoConfig } from '../config/repo.ts';
import type { Logger } from '../log/logger.ts';
import type { RunOutcome } from '../domain/outcome.ts';
import type { Store } from '../store/records.ts';
import type { RunRecord } from '../domain/run.ts';
import { repoParams, statusOf, type GitHubClient } from '../github/client.ts';
import { openOrUpdatePullRequest, type PullRequestRef } from '../github/pull-request.ts';
import { runPageUrl } from '../github/status-comment.ts';
import type { StatusReporter } from '../github/status-reporter.ts';
import type { GitHubRecords } from '../store/github-records.ts';

export interface ReportDeps {
  store: Store;
  records: GitHubRecords;
  status: StatusReporter;
  /** Where the dashboard is reached, for links to the run's page. */
  publicUrl?: string | undefined;
  log: Logger;
}

export function summaryFor(run: RunRecord): string {
  return run.agent === 'patch'
    ? `Applies the diff given in #${run.issueNumber}.`
    : `Changes made by the \`${run.agent}\` agent for #${run.issueNumber}.`;
}

/** Reviewers the config asks for, without bots (GitHub refuses them) and without duplicates. */
export function reviewersFor(run: RunRecord, config: RepoConfig): string[] {
  const logins = config.pullRequest.reviewers.map((who) =>
    who === 'author' ? run.trigger.issue.author : run.trigger.sender,
  );
  return [...new Set(logins)].filter((login) => login && login !== 'ghost' && !login.endsWith('[bot]'));
}

/**
 * Whether the run may open a pull request: not when the issue's earlier pull request was closed
 * without merging, unless this run came from `/agent retry`.
 */
async function closedEarlier(store: Store, run: RunRecord): Promise<RunRecord | undefined> {
  if (run.trigger.kind === 'retry') return undefined;
  const previous = await store.lastRunWithPullRequest(run.repo, run.issueNumber, run.id);
  return previous?.pullRequestState === 'closed' ? previous : undefined;
}

/** Opens or updates the pull request of a successful run, records the outcome, and reports it. */
export async function reportFinished(
  octokit: GitHubClient,
  deps: ReportDeps,
  run: RunRecord,
  outcome: RunOutcome,
  config: RepoConfig,
  durationMs: () => number,
): Promise<RunRecord> {
  let pullRequest: PullRequestRef | undefined;
  let state = outcome.state;
  let reason = outcome.reason;
  let keptBranch = state !== 'succeeded' && outcome.pushed;
  if (state === 'succeeded' && outcome.changed && outcome.pushed) {
    const closed = await closedEarlier(deps.store, run);
    if (closed) {
      keptBranch = true;
      reason = [
        reason,
        `Pull request #${String(closed.pullRequestNumber)} was closed without merging, so no new one was opened. Comment \`/agent retry\` to run again and open one.`,
      ]
        .filter(Boolean)
        .join(' ');
    } else {
      try {
        pullRequest = await openPullRequest(octokit, deps, run, outcome, config, durationMs());
      } catch (error) {
        state = 'failed';
        keptBranch = true;
        reason = `The changes are on branch \`${run.branch}\`, but the pull request could not be opened: ${(error as Error).message}`;
      }
    }
  }
  const finished = await deps.store.finishRun(run.id, {
    state,
    reason: reason ?? null,
    logTail: outcome.logTail || null,
    diffStat: outcome.diffStat ?? null,
    agentMs: outcome.agentMs,
    pullRequestNumber: pullRequest?.number ?? null,
    pullRequestUrl: pullRequest?.url ?? null,
    keptBranch,
    usage: outcome.usage ?? null,
    summary: outcome.summary ?? null,
  });
  // Answers to commands and notes about interruptions belonged to the run that just ended.
  await deps.records.setNote(run.repo, run.issueNumber, null);
  const error = await deps.status.refresh({ repo: run.repo, issueNumber: run.issueNumber });
  if (error) deps.log.warn({ err: error, run: run.id }, 'the final status was not written');
  return finished;
}

async function openPullRequest(
  octokit: GitHubClient,
  deps: ReportDeps,
  run: RunRecord,
  outcome: RunOutcome,
  config: RepoConfig,
  durationMs: number,
): Promise<PullRequestRef> {
  const checksFailed = outcome.checks.some((c) => !c.passed);
  const draft =
    config.pullRequest.draft === 'always' || (config.pullRequest.draft === 'when-checks-fail' && checksFailed);
  const { commentId } = await deps.records.status(run.repo, run.issueNumber);
  const pullRequest = await openOrUpdatePullRequest(octokit, {
    repo: run.trigger.repo,
    issueNumber: run.issueNumber,
    issueTitle: run.trigger.issue.title,
    titleTemplate: config.pullRequest.title,
    branch: run.branch,
    base: run.baseBranch ?? run.trigger.repo.defaultBranch,
    agent: run.agent,
    attempt: run.attempt,
    durationMs,
    diffStat: outcome.diffStat,
    summary: outcome.summary ?? summaryFor(run),
    checks: outcome.checks,
    notes: (outcome.refused.length > 0 || outcome.blocked.length > 0) && outcome.reason ? [outcome.reason] : [],
    usage: outcome.usage,
    draft,
    requestedBy: {
      login: run.trigger.sender,
      how: run.trigger.kind === 'retry' ? '`/agent retry`' : `the \`${run.trigger.label}\` label`,
    },
    statusUrl: commentId ? `${run.trigger.issue.url}#issuecomment-${commentId}` : undefined,
    runUrl: runPageUrl(deps.publicUrl, run.id),
  });
  if (!pullRequest.created) return pullRequest;
  const params = { ...repoParams(run.trigger.repo) };
  if (config.pullRequest.labels.length > 0)
    await octokit.rest.issues.addLabels({
      ...params,
      issue_number: pullRequest.number,
      labels: config.pullRequest.labels,
    });
  const reviewers = reviewersFor(run, config);
  if (reviewers.length > 0) {
    try {
      await octokit.rest.pulls.requestReviewers({ ...params, pull_number: pullRequest.number, reviewers });
    } catch (error) {
      // Someone without access to the repository cannot be asked; the pull request stands.
      if (statusOf(error) !== 422) throw error;
      deps.log.warn({ run: run.id, reviewers, err: error }, 'could not request reviewers');
    }
  }
  return pullRequest;
}
