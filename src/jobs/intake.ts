/**
 * The intake job: a recorded trigger becomes a queued run, or gets a precise answer why not.
 * Runs in a job, not in the webhook handler, because it talks to GitHub.
 */
import { loadRepoConfigCached } from '../config/repo-load.ts';
import { configErrorMessage, priorityOf, resolveAgent } from '../config/repo.ts';
import { runBranch } from '../domain/branch.ts';
import type { PromptComment, RunRecord, RunTrigger } from '../domain/run.ts';
import { repoParams } from '../github/client.ts';
import { readIssueComments } from '../github/comments.ts';
import { ensureLabels, labelSpecs } from '../github/labels.ts';
import { refusalMessage, unknownAgentMessage, unmappedAgentMessage } from '../github/messages.ts';
import { triggerPermission } from '../github/permissions.ts';
import { DEFAULT_PRIORITY } from '../scheduler/schedule.ts';
import type { Store } from '../store/runs.ts';
import type { JobContext } from './context.ts';
import { reportNow } from './report.ts';

/** How a run continues an earlier one of the same issue: `/agent retry`. */
export interface Continuation {
  branch: string;
  attempt: number;
  /** Comments for the prompt beyond the issue's own: a retry's instructions, a pull request's comments. */
  comments?: PromptComment[] | undefined;
  /** Agent repairs of the issue's pull request spent so far, this run included (a repair run). */
  repairs?: number | undefined;
  /** Rounds of fixes for failing checks spent so far, this run included (a round's run). */
  checkRounds?: number | undefined;
  /** The commit to start from instead of the base: the pull request's head, for a round of fixes. */
  startFrom?: string | undefined;
}

/** The branch and attempt number a new trigger continues from, when the issue had runs before. */
async function previousAttempt(store: Store, trigger: RunTrigger): Promise<Continuation | undefined> {
  const last = await store.latestRunFor(trigger.repo.fullName, trigger.issue.number);
  return last ? { branch: last.branch, attempt: last.attempt + 1 } : undefined;
}

/**
 * Takes a trigger: checks who sent it and the repository's config, then creates the run, reacts,
 * writes the status comment and asks for a plan. Returns the run, or `undefined` when the
 * trigger was answered with why not.
 */
export async function intake(
  trigger: RunTrigger,
  ctx: JobContext,
  continuation?: Continuation,
): Promise<RunRecord | undefined> {
  const log = ctx.log.child({
    repo: trigger.repo.fullName,
    issue: trigger.issue.number,
    delivery: trigger.deliveryId,
  });
  const octokit = await ctx.clientFor(trigger.installationId);
  const issue = { ...repoParams(trigger.repo), issue_number: trigger.issue.number };

  // A continuation comes from a command whose sender was checked a moment ago.
  const decision = continuation
    ? { allowed: true as const }
    : await triggerPermission(octokit, trigger.repo, trigger.sender);
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
    ctx.records,
  );
  if (!loaded.ok) {
    log.info({ problems: loaded.problems }, 'invalid repository config');
    await octokit.rest.issues.createComment({ ...issue, body: configErrorMessage(loaded.problems) });
    return undefined;
  }
  const config = loaded.config;
  const agent = continuation ? trigger.agent : resolveAgent(trigger.agent, config).agent;
  if (!ctx.agents[agent]) {
    log.info({ agent }, 'unknown agent');
    const body =
      agent === trigger.agent
        ? unknownAgentMessage(trigger.label, ctx.agents, config)
        : unmappedAgentMessage(trigger.label, agent, ctx.agents);
    await octokit.rest.issues.createComment({ ...issue, body });
    return undefined;
  }
  const created = await ensureLabels(octokit, trigger.repo, labelSpecs(ctx.agents, config), ctx.records);
  if (created.length > 0) log.info({ labels: created }, 'labels created');

  // An issue without comments spares the listing: nothing to find, nothing for the prompt.
  const comments =
    trigger.issue.comments === 0
      ? { statusCommentId: undefined, forPrompt: [] }
      : await readIssueComments(octokit, trigger.repo, trigger.issue.number, [trigger.sender]);
  if (comments.statusCommentId !== undefined) {
    const row = await ctx.records.status(trigger.repo.fullName, trigger.issue.number);
    if (row.commentId !== comments.statusCommentId)
      await ctx.records.saveStatus(trigger.repo.fullName, trigger.issue.number, {
        commentId: comments.statusCommentId,
        bodyHash: undefined,
        label: row.label,
      });
  }

  const windowMs = config.batching.window ?? ctx.settings.batchWindowMs;
  const { batch, joined } = await ctx.batches.openOrJoin(trigger.repo.fullName, windowMs);
  const priority = priorityOf(trigger.issue.labels, config.priorities, DEFAULT_PRIORITY);
  const resolved = { ...trigger, agent };
  // One branch and one pull request per issue: a later trigger continues the earlier runs' branch.
  const previous = continuation ?? (await previousAttempt(ctx.store, trigger));
  const branch = previous?.branch ?? runBranch(trigger.issue.number, trigger.issue.title);
  let run = await ctx.store.createRun(resolved, branch, {
    batchId: batch.id,
    priority,
    config: loaded.raw,
    attempt: previous?.attempt ?? 1,
    comments: [...comments.forPrompt, ...(continuation?.comments ?? [])],
    repairs: continuation?.repairs ?? 0,
    checkRounds: continuation?.checkRounds ?? 0,
    startFrom: continuation?.startFrom,
  });
  if (!run) {
    const live = await ctx.store.liveRunFor(trigger.repo.fullName, trigger.issue.number);
    if (live?.trigger.deliveryId !== trigger.deliveryId || live.state !== 'queued') {
      log.info({ run: live?.id }, 'issue already has a live run; trigger folded into it');
      return undefined;
    }
    // This job is a retry of an intake that created the run and then failed: finish its steps.
    run = live;
  }
  if (!continuation) await octokit.rest.reactions.createForIssue({ ...issue, content: 'eyes' });
  await ctx.records.setNote(run.repo, run.issueNumber, null);
  await reportNow({ repo: run.repo, issueNumber: run.issueNumber }, ctx);
  await ctx.store.acknowledgeRun(run.id);
  // A trigger that joins a batch already under way is planned at once; a new batch waits out its window.
  const delayMs = joined ? Math.max(0, batch.openedAt.getTime() + batch.windowMs - Date.now()) : windowMs;
  await ctx.send.plan({ repo: run.repo, installationId: run.installationId }, delayMs);
  log.info({ run: run.id, agent: run.agent, batch: batch.id, planInMs: delayMs }, 'run queued');
  return run;
}
