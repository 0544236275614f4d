/**
 * The intake job: a recorded trigger becomes a queued run, or gets a precise answer why not.
 * Runs in a job, not in the webhook handler, because it talks to GitHub.
 */
import type { AgentCatalogue } from '../config/agents.ts';
import { configErrorMessage, loadRepoConfig, priorityOf } from '../config/repo.ts';
import type { Logger } from '../log/logger.ts';
import type { PlanJob } from '../queue/jobs.ts';
import { runBranch } from '../runner/branch.ts';
import { DEFAULT_PRIORITY } from '../scheduler/schedule.ts';
import type { BatchStore } from '../store/batches.ts';
import type { RunTrigger, Store } from '../store/records.ts';
import { repoParams, type ClientFactory } from './client.ts';
import { fetchPermission } from './permissions.ts';
import { renderStatus, writeStatusComment } from './status-comment.ts';

export interface IntakeDeps {
  store: Store;
  batches: BatchStore;
  agents: AgentCatalogue;
  clientFor: ClientFactory;
  requestPlan: (job: PlanJob, delayMs: number) => Promise<void>;
  /** The operator's batching window, used where the repository sets none. */
  defaultWindowMs: number;
  log: Logger;
}

export function unknownAgentMessage(label: string, agents: AgentCatalogue): string {
  const known = Object.keys(agents)
    .sort()
    .map((name) => `\`agent:${name}\``)
    .join(', ');
  return `\`${label}\` does not name an agent that this Switchyard runs, so nothing was started.\n\nAgents that exist: ${known}.`;
}

export function refusalMessage(sender: string, label: string, permission: string): string {
  return `@${sender}, only people with write access to this repository can start an agent. Your access here is \`${permission}\`, so \`${label}\` started nothing.`;
}

export async function handleTrigger(trigger: RunTrigger, deps: IntakeDeps): Promise<void> {
  const log = deps.log.child({ repo: trigger.repo.fullName, issue: trigger.issue.number, delivery: trigger.deliveryId });
  const octokit = await deps.clientFor(trigger.installationId);
  const issue = { ...repoParams(trigger.repo), issue_number: trigger.issue.number };

  if (!deps.agents[trigger.agent]) {
    log.info({ agent: trigger.agent }, 'unknown agent');
    await octokit.rest.issues.createComment({ ...issue, body: unknownAgentMessage(trigger.label, deps.agents) });
    return;
  }
  const decision = await fetchPermission(octokit, trigger.repo, trigger.sender);
  if (!decision.allowed) {
    log.info({ sender: trigger.sender, permission: decision.permission }, 'sender may not trigger');
    await octokit.rest.issues.createComment({ ...issue, body: refusalMessage(trigger.sender, trigger.label, decision.permission) });
    return;
  }

  const loaded = await loadRepoConfig(octokit, trigger.repo.owner, trigger.repo.name);
  if (!loaded.ok) {
    log.info({ problems: loaded.problems }, 'invalid repository config');
    await octokit.rest.issues.createComment({ ...issue, body: configErrorMessage(loaded.problems) });
    return;
  }
  const config = loaded.config;
  const windowMs = config.batching.window ?? deps.defaultWindowMs;
  const { batch, joined } = await deps.batches.openOrJoin(trigger.repo.fullName, windowMs);
  const priority = priorityOf(trigger.issue.labels, config.priorities, DEFAULT_PRIORITY);
  let run = await deps.store.createRun(trigger, runBranch(trigger.issue.number, trigger.issue.title), { batchId: batch.id, priority, config: loaded.raw });
  if (!run) {
    const live = await deps.store.liveRunFor(trigger.repo.fullName, trigger.issue.number);
    if (live?.trigger.deliveryId !== trigger.deliveryId || live.state !== 'queued') {
      log.info({ run: live?.id }, 'issue already has a live run; trigger folded into it');
      return;
    }
    // This job is a retry of an intake that created the run and then failed: finish its steps.
    run = live;
  }
  await octokit.rest.reactions.createForIssue({ ...issue, content: 'eyes' });
  await writeStatusComment(octokit, deps.store, trigger.repo, trigger.issue.number, renderStatus({ agent: run.agent, attempt: run.attempt, state: 'queued' }));
  await deps.store.acknowledgeRun(run.id);
  // A trigger that joins a batch already under way is planned at once; a new batch waits out its window.
  const delayMs = joined ? Math.max(0, batch.openedAt.getTime() + batch.windowMs - Date.now()) : windowMs;
  await deps.requestPlan({ repo: run.repo, installationId: run.installationId }, delayMs);
  log.info({ run: run.id, agent: run.agent, batch: batch.id, planInMs: delayMs }, 'run queued');
}
