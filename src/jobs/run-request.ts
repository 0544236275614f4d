/**
 * What the runner is asked to do for a run: the agent (resolved once, at intake, by name), the
 * repository's config as the trigger found it, the time limits, the budget left today, the
 * checks and the prompt additions.
 */
import { DEFAULT_STALL_TIMEOUT, limitsOf } from '../config/agents.ts';
import { configOfRun } from '../config/repo-load.ts';
import { resolveAgent, type RepoConfig } from '../config/repo.ts';
import type { RunRecord } from '../domain/run.ts';
import type { GitHubClient } from '../github/client.ts';
import { agentOfLabel } from '../github/trigger.ts';
import type { RunRequest } from '../runner/request.ts';
import { runBudget, startOfUtcDay } from '../scheduler/budget.ts';
import type { JobContext } from './context.ts';

/** The parts of a run request the run job adds itself: its token, log, progress and cancel. */
type AddedByTheJob = 'token' | 'onLog' | 'onProgress' | 'signal' | 'log';

export async function runRequestOf(
  run: RunRecord,
  octokit: GitHubClient,
  ctx: JobContext,
): Promise<{ request: Omit<RunRequest, AddedByTheJob>; config: RepoConfig }> {
  const agent = ctx.agents[run.agent];
  if (!agent) throw new Error(`The agent \`${run.agent}\` was removed from this Switchyard's configuration.`);
  const loaded = await configOfRun(run, octokit);
  if (!loaded.ok) throw new Error(`\`.github/switchyard.yml\` became invalid: ${loaded.problems.join('; ')}`);
  const config = loaded.config;
  const labelPrompt = resolveAgent(agentOfLabel(run.trigger.label) ?? run.agent, config).prompt;
  const today = startOfUtcDay(new Date());
  const budget = runBudget({
    agentName: run.agent,
    agent,
    repository: config.limits,
    spentToday: {
      agent: agent.maxCostPerDay ? await ctx.store.spentSince(today, { agent: run.agent }) : 0,
      repository: config.limits.maxCostPerDay ? await ctx.store.spentSince(today, { repo: run.repo }) : 0,
    },
  });
  const pool = config.runner.reuseWorktrees;
  const request: Omit<RunRequest, AddedByTheJob> = {
    runId: run.id,
    repo: run.trigger.repo,
    issue: run.trigger.issue,
    agentName: run.agent,
    agent,
    branch: run.branch,
    base: run.baseBranch ?? run.trigger.repo.defaultBranch,
    startFrom: run.startFrom ?? undefined,
    attempt: run.attempt,
    timeoutMs: Math.min(agent.timeout, config.runner.timeout ?? Infinity),
    stallMs: agent.stallTimeout ?? DEFAULT_STALL_TIMEOUT,
    limits: limitsOf(agent),
    budget,
    checks: { commands: config.checks.commands, timeoutMs: config.checks.timeoutMs ?? agent.timeout },
    poolSize: pool === true ? 2 : pool === false ? 0 : pool,
    keep: config.runner.keep,
    comments: run.comments,
    promptAdditions: [ctx.settings.prompt, config.prompt, labelPrompt].filter((text): text is string => Boolean(text)),
  };
  return { request, config };
}
