/**
 * The intake job: a recorded trigger becomes a queued run, or gets a precise answer why not.
 * Runs in a job, not in the webhook handler, because it talks to GitHub.
 */
import type { AgentCatalogue } from '../config/agents.ts';
import {
  agentKeyName,
  configErrorMessage,
  loadRepoConfigCached,
  priorityOf,
  resolveAgent,
  type RepoConfig,
} from '../config/repo.ts';
import type { Logger } from '../log/logger.ts';
import type { PlanJob } from '../queue/jobs.ts';
import { runBranch } from '../domain/branch.ts';
import { DEFAULT_PRIORITY } from '../scheduler/schedule.ts';
import type { BatchStore } from '../store/batches.ts';
import type { GitHubRecords } from '../store/github-records.ts';
import type { Store } from '../store/records.ts';
import type { PromptComment, RunRecord, RunTrigger } from '../domain/run.ts';
import { repoParams, type ClientFactory } from '../github/client.ts';
import { readIssueComments } from '../github/comments.ts';
import { ensureLabels, labelSpecs } from '../github/labels.ts';
import { fetchPermission } from '../github/permissions.ts';
import type { StatusReporter } from '../github/status-reporter.ts';

export interface IntakeDeps {
  store: Store;
  records: GitHubRecords;
  batches: BatchStore;
  agents: AgentCatalogue;
  clientFor: ClientFactory;
  status: StatusReporter;
  requestPlan: (job: PlanJob, delayMs: number) => Promise<void>;
  /** The operator's batching window, used where the repository sets none. */
  defaultWindowMs: number;
  log: Logger;
}

/** How a run continues an earlier one of the same issue: `/agent retry`. */
export interface Continuation {
  branch: string;
  attempt: number;
  /** Comments for the prompt beyond the issue's own: a retry's instructions, a pull request's comments. */
  comments?: PromptComment[] | undefined;
}

/** The branch and attempt number a new trigger continues from, when the issue had runs before. */
async function previousAttempt(store: Store, trigger: RunTrigger): Promise<Continuation | undefined> {
  const last = await store.latestRunFor(trigger.repo.fullName, trigger.issue.number);
  return last ? { branch: last.branch, attempt: last.attempt + 1 } : undefined;
}

export function unknownAgentMessage(
  label: string,
  agents: AgentCatalogue,
  config?: Pick<RepoConfig, 'agents'>,
): string {
  const names = new Set([...Object.keys(agents), ...Object.keys(config?.agents ?? {}).map(agentKeyName)]);
  const known = [...names]
    .sort()
    .map((name) => `\`agent:${name}\``)
    .join(', ');
  return `\`${label}\` does not name an agent that this Switchyard runs, so nothing was started.\n\nAgents that exist: ${known}.`;
}

/** The repository maps the label to an agent the operator does not run. */
export function unmappedAgentMessage(label: string, agent: string, agents: AgentCatalogue): string {
  const known = Object.keys(agents)
    .sort()
    .map((name) => `\`${name}\``)
    .join(', ');
  return `\`.github/switchyard.yml\` maps \`${label}\` to the agent \`${agent}\`, which this Switchyard does not run, so nothing was started.\n\nAgents it runs: ${known}.`;
}

export function refusalMessage(sender: string, label: string, permission: string): string {
  return `@${sender}, only people with write access to this repository can start an agent. Your access here is \`${permission}\`, so \`${label}\` started nothing.`;
}

/**
 * Takes a trigger: checks who sent it and the repository's config, then creates the run, reacts,
 * writes the status comment and asks for a plan. Returns the run, or `undefined` when the
 * trigger was answered with why not.
 */
export async function handleTrigger(
  trigger: RunTrigger,
  deps: IntakeDeps,
  continuation?: Continuation,
): Promise<RunRecord | undefined> {
  const log = deps.log.child({
    repo: trigger.repo.fullName,
    issue: trigger.issue.number,
    delivery: trigger.deliveryId,
  });
  const octokit = await deps.clientFor(trigger.installationId);
  const issue = { ...repoParams(trigger.repo), issue_number: trigger.issue.number };

  // A continuation comes from a command whose sender was checked a moment ago.
  const decision = continuation
    ? { allowed: true as const }
    : await fetchPermission(octokit, trigger.repo, trigger.sender);
  if (!decision.allowed) {
    log.info({ sender: trigger.sender, permission: decision.permission }, 'sender may not trigger');
    await octokit.rest.issues.createComment({
      ...issue,
      body: refusalMessage(trigger.sender, trigger.label, decision.permission),
    });
    return undefined;
  }
  const loaded = await loadRepoConfigCached(
    octokit,
    {
      owner: trigger.repo.owner,
      name: trigger.repo.name,
      fullName: trigger.repo.fullName,
      pushedAt: trigger.repo.pushedAt,
    },
    deps.records,
  );
  if (!loaded.ok) {
    log.info({ problems: loaded.problems }, 'invalid repository config');
    await octokit.rest.issues.createComment({ ...issue, body: configErrorMessage(loaded.problems) });
    return undefined;
  }
  const config = loaded.config;
  const agent = continuation ? trigger.agent : resolveAgent(trigger.agent, config).agent;
  if (!deps.agents[agent]) {
    log.info({ agent }, 'unknown agent');
    const body =
      agent === trigger.agent
        ? unknownAgentMessage(trigger.label, deps.agents, config)
        : unmappedAgentMessage(trigger.label, agent, deps.agents);
    await octokit.rest.issues.createComment({ ...issue, body });
    return undefined;
  }
  const created = await ensureLabels(octokit, trigger.repo, labelSpecs(deps.agents, config), deps.records);
  if (created.length > 0) log.info({ labels: created }, 'labels created');

  // An issue without comments spares the listing: nothing to find, nothing for the prompt.
  const comments =
    trigger.issue.comments === 0
      ? { statusCommentId: undefined, forPrompt: [] }
      : await readIssueComments(octokit, trigger.repo, trigger.issue.number, [trigger.sender]);
  if (comments.statusCommentId !== undefined) {
    const row = await deps.records.status(trigger.repo.fullName, trigger.issue.number);
    if (row.commentId !== comments.statusCommentId)
      await deps.records.saveStatus(trigger.repo.fullName, trigger.issue.number, {
        commentId: comments.statusCommentId,
        bodyHash: undefined,
        label: row.label,
      });
  }

  const windowMs = config.batching.window ?? deps.defaultWindowMs;
  const { batch, joined } = await deps.batches.openOrJoin(trigger.repo.fullName, windowMs);
  const priority = priorityOf(trigger.issue.labels, config.priorities, DEFAULT_PRIORITY);
  const resolved = { ...trigger, agent };
  // One branch and one pull request per issue: a later trigger continues the earlier runs' branch.
  const previous = continuation ?? (await previousAttempt(deps.store, trigger));
  const branch = previous?.branch ?? runBranch(trigger.issue.number, trigger.issue.title);
  let run = await deps.store.createRun(resolved, branch, {
    batchId: batch.id,
    priority,
    config: loaded.raw,
    attempt: previous?.attempt ?? 1,
    comments: [...comments.forPrompt, ...(continuation?.comments ?? [])],
  });
  if (!run) {
    const live = await deps.store.liveRunFor(trigger.repo.fullName, trigger.issue.number);
    if (live?.trigger.deliveryId !== trigger.deliveryId || live.state !== 'queued') {
      log.info({ run: live?.id }, 'issue already has a live run; trigger folded into it');
      return undefined;
    }
    // This job is a retry of an intake that created the run and then failed: finish its steps.
    run = live;
  }
  if (!continuation) await octokit.rest.reactions.createForIssue({ ...issue, content: 'eyes' });
  await deps.records.setNote(run.repo, run.issueNumber, null);
  await deps.status.writeNow({ repo: run.repo, issueNumber: run.issueNumber });
  await deps.store.acknowledgeRun(run.id);
  // A trigger that joins a batch already under way is planned at once; a new batch waits out its window.
  const delayMs = joined ? Math.max(0, batch.openedAt.getTime() + batch.windowMs - Date.now()) : windowMs;
  await deps.requestPlan({ repo: run.repo, installationId: run.installationId }, delayMs);
  log.info({ run: run.id, agent: run.agent, batch: batch.id, planInMs: delayMs }, 'run queued');
  return run;
}
