/**
 * The finish step of a run job: the pull request (when the outcome asks for one), then the
 * final state, decided by \`domain/final-state.ts\` and written with its report job in one
 * transaction, so no crash can leave an ended run whose status comment is never written.
 */
import type { RepoConfig } from '../config/repo.ts';
import { finalState, wantsPullRequest, type Meanwhile, type PullRequestResult } from '../domain/final-state.ts';
import type { RunOutcome } from '../domain/outcome.ts';
import type { RunOutcomeFields, RunRecord } from '../domain/run.ts';
import { StepClock } from '../domain/steps.ts';
import type { GitHubClient } from '../github/client.ts';
import type { Queryable } from '../store/db.ts';
import { repoParams } from '../github/client.ts';
import { publishPullRequest } from '../github/publish.ts';
import { ciSaying } from '../github/ci-checks.ts';
import { describeDiff } from '../github/status-comment.ts';
import type { CiChecks } from '../domain/ci-checks.ts';
import type { JobContext } from './context.ts';

/** Opens the run's pull request where its outcome asks for one, and ends the run. */
export async function finish(
  run: RunRecord,
  outcome: RunOutcome,
  meanwhile: Meanwhile,
  config: RepoConfig,
  octokit: GitHubClient,
  ctx: JobContext,
): Promise<RunRecord> {
  const clock = new StepClock();
  clock.merge(outcome.steps);
  const pullRequest = wantsPullRequest(outcome)
    ? await clock.time('pullRequest', () => pullRequestOf(run, outcome, config, meanwhile.elapsedMs, octokit, ctx))
    : undefined;
  if (run.trigger.kind === 'checks' && run.ciChecks)
    await ctx.store.setCiChecks(run.id, roundPushed(run.ciChecks, outcome));
  return endRun(run, { ...finalState(outcome, meanwhile, pullRequest, run.branch), steps: clock.timings }, ctx);
}

/**
 * Writes a run's end, closes its attempt, clears the notes that belonged to it, and sends its
 * report, all or nothing. For the run job, which owns its run.
 */
export async function endRun(run: RunRecord, fields: RunOutcomeFields, ctx: JobContext): Promise<RunRecord> {
  return ctx.db.transaction(async (tx) => closeOut(await ctx.store.within(tx).finishRun(run.id, fields), tx, ctx));
}

/**
 * Ends a run that nothing else will (a sweep, a plan that found a cycle) as `endRun` does, unless
 * it ended meanwhile: `undefined` then.
 */
export async function endLiveRun(
  runId: string,
  state: 'failed' | 'cancelled',
  reason: string,
  ctx: JobContext,
): Promise<RunRecord | undefined> {
  return ctx.db.transaction(async (tx) => {
    const ended = await ctx.store.within(tx).failRun(runId, reason, state);
    return ended ? closeOut(ended, tx, ctx) : undefined;
  });
}

async function closeOut(ended: RunRecord, tx: Queryable, ctx: JobContext): Promise<RunRecord> {
  await ctx.attempts.within(tx).end(ended.id, ended.attempt, ended.state);
  // Answers to commands and notes about interruptions belonged to the run that just ended.
  await ctx.records.within(tx).setNote(ended.repo, ended.issueNumber, null);
  await ctx.send.report({ repo: ended.repo, issueNumber: ended.issueNumber, urgent: true }, tx);
  // A pull request opened or updated from an older base may conflict already.
  if (ended.pullRequestNumber !== null)
    await ctx.send.mergeability({ repo: ended.trigger.repo, installationId: ended.installationId }, tx);
  return ended;
}

/**
 * The pull request of a successful run: none when the issue's earlier one was closed without
 * merging (unless this run came from \`/agent retry\`); a refusal from GitHub is kept as the reason.
 */
async function pullRequestOf(
  run: RunRecord,
  outcome: RunOutcome,
  config: RepoConfig,
  durationMs: number,
  octokit: GitHubClient,
  ctx: JobContext,
): Promise<PullRequestResult> {
  const continues = run.trigger.kind === 'repair' || run.trigger.kind === 'checks';
  const repaired = continues ? await repairedPullRequest(run, octokit, ctx) : undefined;
  if (repaired?.kind === 'gone-meanwhile') return repaired;
  // A round of fixes adds a commit to the pull request; its body still describes the change (and shows the rounds).
  if (run.trigger.kind === 'checks' && repaired) return { kind: 'opened', number: repaired.number, url: repaired.url };
  if (run.trigger.kind !== 'retry') {
    const previous = await ctx.store.lastRunWithPullRequest(run.repo, run.issueNumber, run.id);
    if (previous?.pullRequestState === 'closed') return { kind: 'closed-earlier', number: previous.pullRequestNumber };
  }
  const { commentId } = await ctx.records.status(run.repo, run.issueNumber);
  try {
    const opened = await publishPullRequest(octokit, run, outcome, config, {
      durationMs,
      statusCommentId: commentId,
      publicUrl: ctx.settings.publicUrl,
      log: ctx.log,
      existing: repaired?.number,
    });
    return { kind: 'opened', number: opened.number, url: opened.url };
  } catch (error) {
    return { kind: 'refused', problem: (error as Error).message };
  }
}

/**
 * A round's record once its run ended: the head it pushed and what it changed, or that it ends
 * the rounds (it changed nothing, or did not succeed: such a run opens no pull request to follow).
 */
function roundPushed(ci: CiChecks, outcome: RunOutcome): CiChecks {
  const rounds = [...ci.rounds];
  const last = rounds.at(-1);
  if (!last) return ci;
  const own = outcome.ownDiffStat ?? outcome.diffStat;
  if (outcome.state === 'succeeded' && outcome.pushed && outcome.commitSha) {
    rounds[rounds.length - 1] = {
      ...last,
      head: outcome.commitSha,
      changed: own ? describeDiff(own) : undefined,
    };
    return { ...ci, rounds, said: ciSaying.pushed(last.round, outcome.commitSha) };
  }
  rounds[rounds.length - 1] = { ...last, result: 'no-change' };
  return { ...ci, rounds, action: 'none', said: ciSaying.noChange(last.round, last.fixing, outcome.state) };
}

/**
 * The pull request a repair repairs: it is updated, never replaced. A repair pushes to it, and a
 * maintainer may merge it right then, before the run ends: that pull request then stands for
 * the run, and no new one is opened.
 */
async function repairedPullRequest(
  run: RunRecord,
  octokit: GitHubClient,
  ctx: JobContext,
): Promise<
  { kind: 'open'; number: number; url: string } | (PullRequestResult & { kind: 'gone-meanwhile' }) | undefined
> {
  const previous = await ctx.store.lastRunWithPullRequest(run.repo, run.issueNumber, run.id);
  const number = previous?.pullRequestNumber;
  if (!previous || number === null || number === undefined) return undefined;
  const { data } = await octokit.rest.pulls.get({ ...repoParams(run.trigger.repo), pull_number: number });
  if (data.state === 'open') return { kind: 'open', number, url: data.html_url };
  return { kind: 'gone-meanwhile', number, url: data.html_url, state: data.merged ? 'merged' : 'closed' };
}
