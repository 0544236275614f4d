/**
 * The CI job: a repository's CI finished on the head of a Switchyard pull request, and the
 * repository asks for failing checks to be fixed (`pullRequest.fixFailingChecks`). Four steps:
 *
 *   1. find the run that pushed the head, and the pull request as GitHub has it now (a person's
 *      push, a merge or a close ends it here);
 *   2. read the head's check runs and statuses, once they all finished, and the base's for the
 *      ones that fail there too;
 *   3. decide (domain/ci-checks.ts): nothing, a round, or a sentence why not;
 *   4. keep what was found with the run, on the pull request and in the status comment, and start
 *      the round: the issue's next attempt, on the pull request's head, with the failures as context.
 */
import { storedConfigOf } from '../config/repo.ts';
import { nextCiStep, type CheckRound, type CiChecks, type FailingCheck } from '../domain/ci-checks.ts';
import type { CiResultJob } from '../domain/jobs.ts';
import type { PromptComment, RunRecord } from '../domain/run.ts';
import { ciSaying, failureContext, failureDetails, readCommitCi, withChecksSection } from '../github/ci-checks.ts';
import { repoParams, type GitHubClient } from '../github/client.ts';
import type { JobContext } from './context.ts';
import { intake } from './intake.ts';
import { budgetSpent } from './mergeability-repair.ts';

export async function actOnCiResult(job: CiResultJob, ctx: JobContext): Promise<void> {
  // Step 1: the run that pushed this head, still its issue's newest, and its open pull request.
  const run = await ctx.store.runOfOpenHead(job.repo.fullName, job.sha);
  if (!run || run.pullRequestNumber === null) return;
  const loaded = storedConfigOf(run);
  if (!loaded.ok || loaded.config.pullRequest.fixFailingChecks === 0) return;
  const config = loaded.config;
  const octokit = await ctx.clientFor(job.installationId);
  const params = repoParams(run.trigger.repo);
  const { data: pull } = await octokit.rest.pulls.get({ ...params, pull_number: run.pullRequestNumber });
  if (pull.state !== 'open' || pull.head.sha !== job.sha) return;

  // Step 2: one round sees every check of the head: it waits until none is running.
  const ci = await readCommitCi(octokit, run.trigger.repo, job.sha);
  if (ci.pending) return;
  const redOnBase =
    ci.failing.length > 0 ? await failingOnBase(octokit, run, pull.base.ref, ci.failing) : new Set<string>();

  // Step 3.
  const max = config.pullRequest.fixFailingChecks;
  const rounds = settledRounds(run.ciChecks, job.sha, ci.failing.length === 0);
  const step = nextCiStep({
    failing: ci.failing,
    pending: false,
    redOnBase,
    roundsSpent: run.checkRounds,
    maxRounds: max,
    budgetSpent: ci.failing.length > 0 ? await budgetSpent({ run, config }, ctx) : undefined,
  });
  const found = {
    head: job.sha,
    state: ci.failing.length === 0 ? ('passing' as const) : ('failing' as const),
    failing: ci.failing,
    redOnBase: [...redOnBase],
    rounds,
    checkedAt: new Date().toISOString(),
  };
  let record: CiChecks;
  switch (step.kind) {
    case 'wait':
      return;
    case 'green':
      // A pull request that was green all along is not worth a word, nor a request.
      if (!run.ciChecks) return;
      record = { ...found, action: 'none', said: ciSaying.passed(rounds.length) };
      break;
    case 'not-ours':
      record = { ...found, action: 'not-ours', said: ciSaying.notOurs(found.redOnBase, pull.base.ref) };
      break;
    case 'spent':
      record = { ...found, action: 'spent', said: ciSaying.spent(step.checks, max) };
      break;
    case 'budget':
      record = { ...found, action: 'budget', said: ciSaying.budget(step.checks, step.reason) };
      break;
    case 'fix': {
      const round: CheckRound = {
        round: step.round,
        fixing: step.checks.map((c) => c.name),
        from: job.sha,
        result: 'running',
      };
      const notOurs =
        step.notOurs.length > 0
          ? ` ${ciSaying.notOurs(
              step.notOurs.map((c) => c.name),
              pull.base.ref,
            )}`
          : '';
      record = {
        ...found,
        rounds: [...rounds, round],
        action: 'fixing',
        said: ciSaying.fixing(step.checks, job.sha, step.round, max) + notOurs,
      };
      const details = await failureDetails(octokit, run.trigger.repo, ci, step.checks);
      const context = failureContext({
        pullRequest: run.pullRequestNumber,
        head: job.sha,
        round: step.round,
        maxRounds: max,
        details,
      });
      await show(octokit, run, pull.body ?? '', record, ctx);
      await startRound(run, record, context, step.round, job.sha, ctx);
      return;
    }
  }
  if (sameAs(run.ciChecks, record)) return;
  // Step 4.
  await show(octokit, run, pull.body ?? '', record, ctx);
}

/**
 * The rounds so far, the last one settled by what CI says of the head it pushed, or of the head
 * that replaced it since (a replay onto a moved base keeps the round's change).
 */
function settledRounds(before: CiChecks | null, head: string, passing: boolean): CheckRound[] {
  const rounds = [...(before?.rounds ?? [])];
  const last = rounds.at(-1);
  if (last && last.result === 'running' && last.head !== undefined)
    rounds[rounds.length - 1] = { ...last, result: passing ? 'passed' : 'failed' };
  return rounds;
}

/** The failing checks that fail on the base branch's head too: the pull request did not break them. */
async function failingOnBase(
  octokit: GitHubClient,
  run: RunRecord,
  base: string,
  failing: readonly FailingCheck[],
): Promise<Set<string>> {
  const onBase = await readCommitCi(octokit, run.trigger.repo, base);
  const names = new Set(onBase.failing.map((check) => check.name));
  return new Set(failing.filter((check) => names.has(check.name)).map((check) => check.name));
}

function sameAs(before: CiChecks | null, after: CiChecks): boolean {
  if (!before) return false;
  const { checkedAt: _before, ...a } = before;
  const { checkedAt: _after, ...b } = after;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Keeps the record with the run, puts it in the pull request's body, and has the status comment say it. */
async function show(
  octokit: GitHubClient,
  run: RunRecord,
  body: string,
  record: CiChecks,
  ctx: JobContext,
): Promise<void> {
  await ctx.store.setCiChecks(run.id, record);
  const updated = withChecksSection(body, record);
  if (updated !== body && run.pullRequestNumber !== null)
    await octokit.rest.pulls.update({
      ...repoParams(run.trigger.repo),
      pull_number: run.pullRequestNumber,
      body: updated,
    });
  await ctx.send.report({ repo: run.repo, issueNumber: run.issueNumber });
}

/** A round: the issue's next attempt, on the same branch and pull request, building on its head. */
async function startRound(
  run: RunRecord,
  record: CiChecks,
  context: PromptComment,
  round: number,
  head: string,
  ctx: JobContext,
): Promise<void> {
  const roundRun = await intake({ ...run.trigger, deliveryId: `checks:${run.id}:${head}`, kind: 'checks' }, ctx, {
    branch: run.branch,
    attempt: run.attempt + 1,
    comments: [context],
    repairs: run.repairs,
    checkRounds: round,
    startFrom: head,
  });
  if (roundRun) {
    await ctx.store.setCiChecks(roundRun.id, record);
    await ctx.send.report({ repo: run.repo, issueNumber: run.issueNumber });
  }
  ctx.log.info({ repo: run.repo, pr: run.pullRequestNumber, run: roundRun?.id, round }, 'round of check fixes started');
}
