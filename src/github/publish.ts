/**
 * A run's pull request as the repository asks for it: opened or updated, draft when its checks
 * failed (if asked), with the configured labels and reviewers.
 */
import type { RepoConfig } from '../config/repo.ts';
import type { RunOutcome } from '../domain/outcome.ts';
import type { RunRecord } from '../domain/run.ts';
import type { Logger } from '../log/logger.ts';
import { repoParams, statusOf, type GitHubClient } from './client.ts';
import { openOrUpdatePullRequest, type PullRequestRef } from './pull-request.ts';
import { runPageUrl } from './status-comment.ts';

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

export async function publishPullRequest(
  octokit: GitHubClient,
  run: RunRecord,
  outcome: RunOutcome,
  config: RepoConfig,
  shown: {
    durationMs: number;
    statusCommentId: number | undefined;
    publicUrl: string | undefined;
    log: Logger;
    /** The pull request to update instead of opening or finding one. */
    existing?: number | undefined;
  },
): Promise<PullRequestRef> {
  const checksFailed = outcome.checks.some((c) => !c.passed);
  const draft =
    config.pullRequest.draft === 'always' || (config.pullRequest.draft === 'when-checks-fail' && checksFailed);
  const commentId = shown.statusCommentId;
  const pullRequest = await openOrUpdatePullRequest(octokit, {
    repo: run.trigger.repo,
    issueNumber: run.issueNumber,
    issueTitle: run.trigger.issue.title,
    titleTemplate: config.pullRequest.title,
    branch: run.branch,
    base: run.baseBranch ?? run.trigger.repo.defaultBranch,
    agent: run.agent,
    attempt: run.attempt,
    durationMs: shown.durationMs,
    diffStat: outcome.diffStat,
    summary: outcome.summary ?? summaryFor(run),
    checks: outcome.checks,
    // What a successful run's reason says (files left out, blocked requests, large files) belongs on the pull request.
    notes: outcome.reason ? [outcome.reason] : [],
    usage: outcome.usage,
    draft,
    requestedBy: {
      login: run.trigger.sender,
      how:
        run.trigger.kind === 'retry'
          ? '`/agent retry`'
          : run.trigger.kind === 'repair'
            ? `the \`${run.trigger.label}\` label, and re-run by Switchyard to resolve a conflict with its base`
            : `the \`${run.trigger.label}\` label`,
    },
    statusUrl: commentId ? `${run.trigger.issue.url}#issuecomment-${commentId}` : undefined,
    runUrl: runPageUrl(shown.publicUrl, run.id),
    existing: shown.existing,
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
      shown.log.warn({ run: run.id, reviewers, err: error }, 'could not request reviewers');
    }
  }
  return pullRequest;
}
