/**
 * The last repair of a mergeability pass: the issue's next attempt, on the same branch and pull
 * request, with the conflict as context, within the day's budgets.
 */
import type { Mergeability } from '../domain/mergeability.ts';
import type { PromptComment } from '../domain/run.ts';
import { conflictContext } from '../github/mergeability.ts';
import { previousDiff } from '../runner/mergeability.ts';
import { startOfUtcDay } from '../scheduler/budget.ts';
import type { JobContext } from './context.ts';
import { intake } from './intake.ts';
import type { OpenPull, Scope } from './mergeability-scope.ts';

/** Why a repair may not spend more today, when the repository's or the agent's daily budget is spent. */
export async function budgetSpent(
  pull: Pick<OpenPull, 'run' | 'config'>,
  ctx: JobContext,
): Promise<string | undefined> {
  const today = startOfUtcDay(new Date());
  const repoLimit = pull.config.limits.maxCostPerDay;
  if (repoLimit !== null && (await ctx.store.spentSince(today, { repo: pull.run.repo })) >= repoLimit)
    return `this repository's budget for today ($${repoLimit}) is spent`;
  const agentLimit = ctx.agents[pull.run.agent]?.maxCostPerDay;
  if (agentLimit && (await ctx.store.spentSince(today, { agent: pull.run.agent })) >= agentLimit)
    return `the \`${pull.run.agent}\` agent's budget for today ($${agentLimit}) is spent`;
  return undefined;
}

/** Step 3's last resort: the issue's next attempt, on the same branch and pull request, with the conflict as context. */
export async function repairContext(pull: OpenPull, mergeability: Mergeability, scope: Scope): Promise<PromptComment> {
  const { run } = pull;
  return conflictContext({
    pullRequest: pull.number,
    base: mergeability.base,
    files: mergeability.files,
    collide: await Promise.all(
      mergeability.after.map(async (number) => ({
        number,
        issue: (await scope.ctx.store.runOfPullRequest(run.repo, number))?.issueNumber,
      })),
    ),
    previousDiff: await previousDiff(scope.mirror, pull.headSha),
  });
}

export async function startRepair(
  pull: OpenPull,
  mergeability: Mergeability,
  context: PromptComment,
  repair: number,
  baseSha: string,
  scope: Scope,
): Promise<void> {
  const { run } = pull;
  const repairRun = await intake(
    { ...run.trigger, deliveryId: `repair:${run.id}:${baseSha}`, kind: 'repair', sender: run.trigger.sender },
    scope.ctx,
    { branch: run.branch, attempt: run.attempt + 1, comments: [context], repairs: repair },
  );
  if (repairRun) {
    await scope.ctx.store.setMergeability(repairRun.id, mergeability);
    await scope.ctx.send.report({ repo: run.repo, issueNumber: run.issueNumber });
  }
  scope.ctx.log.info({ repo: run.repo, pr: pull.number, run: repairRun?.id, repair }, 'agent repair started');
}
