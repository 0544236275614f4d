/**
 * `/agent` commands in comments on issues and on Switchyard's pull requests, from people with
 * write access: `retry [instructions]` (a new attempt on the issue's branch and pull request),
 * `cancel`, `status` and `plan` (answered in a reply that names the asker), and `help` (for
 * anyone). Anything else, or a command from someone else, gets a short reply.
 */
import type { Mergeability } from '../domain/mergeability.ts';
import { mergeabilityLines } from '../github/mergeability.ts';
import type { CommandJob } from '../domain/jobs.ts';
import { RepoDashboardStore } from '../store/repo-dashboards.ts';
import type { JobContext } from './context.ts';
import { planOverview } from '../scheduler/overview.ts';
import type { Store } from '../store/runs.ts';
import { LIVE_STATES, type IssueSnapshot, type PromptComment, type RunRecord, type RunTrigger } from '../domain/run.ts';
import { readIssueComments, readReviewComments } from '../github/comments.ts';
import { repoParams, type GitHubClient } from '../github/client.ts';
import { intake } from './intake.ts';
import { COMMANDS, isCommand } from '../github/command-line.ts';
import { fetchPermission } from '../github/permissions.ts';

const COMMAND_LIST = COMMANDS.map((c) => `\`/agent ${c}\``).join(', ');

export function unknownCommandMessage(sender: string, name: string): string {
  return name
    ? `@${sender}, \`/agent ${name.slice(0, 40).replace(/`/g, "'")}\` is not a Switchyard command. Commands: ${COMMAND_LIST}.`
    : `@${sender}, \`/agent\` needs a command: ${COMMAND_LIST}.`;
}

export function commandRefusalMessage(sender: string, permission: string): string {
  return `@${sender}, only people with write access to this repository can use \`/agent\` commands. Your access here is \`${permission}\`.`;
}

export const NO_RUN_MESSAGE =
  'Switchyard has not run an agent on this issue yet. Add an `agent:<name>` label to start one.';

function timeOfDay(date: Date): string {
  return `${date.toISOString().slice(11, 19)} UTC`;
}

/** `/agent help`: every command, and how a run starts. */
export function helpMessage(sender: string): string {
  return [
    `@${sender}, Switchyard's commands (from people with write access; the first \`/agent\` line of a comment counts):`,
    '',
    "- `/agent retry [instructions]`: run the agent again on the issue's branch. On a pull request Switchyard opened, the agent also gets your instructions and the comments of people with write access on that pull request.",
    "- `/agent cancel`: stop the issue's queued or running run; its work so far is kept on its branch.",
    "- `/agent status`: the state of the issue's run, answered here.",
    "- `/agent plan`: the repository's queue in planned order, and why each run waits.",
    '- `/agent help`: this list.',
    '',
    'A run starts when someone with write access adds an `agent:<name>` label to an issue.',
  ].join('\n');
}

export const NOT_OURS_MESSAGE =
  'Switchyard did not open this pull request, so it has no run to act on. `/agent` commands work on issues and on the pull requests Switchyard opened.';

/** The issue a command is about: the issue itself, or the one whose run opened the pull request. */
async function subjectOf(
  job: CommandJob,
  ctx: JobContext,
  octokit: GitHubClient,
): Promise<{ issue: IssueSnapshot; issueOpen: boolean } | undefined> {
  if (job.pullRequest === undefined && job.target === undefined) return { issue: job.issue, issueOpen: job.issueOpen };
  const run =
    job.target !== undefined
      ? await ctx.store.latestRunFor(job.repo.fullName, job.target)
      : await ctx.store.runOfPullRequest(job.repo.fullName, job.pullRequest ?? 0);
  if (!run) return undefined;
  const { data } = await octokit.rest.issues.get({ ...repoParams(job.repo), issue_number: run.issueNumber });
  return {
    issue: {
      ...run.trigger.issue,
      title: data.title,
      body: data.body ?? '',
      labels: data.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))),
      comments: data.comments,
    },
    issueOpen: data.state !== 'closed',
  };
}

/** One line about a run for a reply: its state, attempt, agent, and reason or pull request. */
function statusLine(run: RunRecord): string {
  const parts = [
    `#${run.issueNumber}: ${run.state.replace('_', ' ')}`,
    `attempt ${run.attempt} of the \`${run.agent}\` agent`,
  ];
  if (run.pullRequestNumber !== null)
    parts.push(
      `pull request #${run.pullRequestNumber}${run.pullRequestState && run.pullRequestState !== 'open' ? ` (${run.pullRequestState})` : ''}`,
    );
  const why = run.state === 'waiting' ? run.waitingReason : run.reason;
  return `${parts.join(', ')}.${why ? ` ${why}` : ''}`;
}

export async function command(job: CommandJob, ctx: JobContext): Promise<void> {
  try {
    await takeCommand(job, ctx);
  } finally {
    // A box ticked on the dashboard issue is cleared, whatever came of it.
    const run = job.target === undefined ? undefined : await ctx.store.latestRunFor(job.repo.fullName, job.target);
    if (run) {
      await new RepoDashboardStore(ctx.db).forget(job.repo.fullName);
      await ctx.send.dashboard({ repo: job.repo, installationId: job.installationId });
    }
  }
}

async function takeCommand(job: CommandJob, ctx: JobContext): Promise<void> {
  const log = ctx.log.child({
    repo: job.repo.fullName,
    issue: job.issue.number,
    command: job.name,
    sender: job.sender,
    pullRequest: job.pullRequest,
  });
  const octokit = await ctx.clientFor(job.installationId);
  // Answers go where the command was given, naming the asker, so that they are notified.
  const reply = (body: string) =>
    octokit.rest.issues.createComment({ ...repoParams(job.repo), issue_number: job.issue.number, body });

  if (job.name === 'help') {
    await reply(helpMessage(job.sender));
    return;
  }
  const decision = await fetchPermission(octokit, job.repo, job.sender);
  if (!decision.allowed) {
    log.info({ permission: decision.permission }, 'command refused');
    await reply(commandRefusalMessage(job.sender, decision.permission));
    return;
  }
  if (!isCommand(job.name)) {
    await reply(unknownCommandMessage(job.sender, job.name));
    return;
  }
  if (job.commentId !== undefined)
    await octokit.rest.reactions.createForIssueComment({
      ...repoParams(job.repo),
      comment_id: job.commentId,
      content: 'eyes',
    });
  const subject = await subjectOf(job, ctx, octokit);
  if (!subject) {
    await reply(`@${job.sender}, ${NOT_OURS_MESSAGE}`);
    return;
  }
  const latest = await ctx.store.latestRunFor(job.repo.fullName, subject.issue.number);
  if (!latest) {
    await reply(`@${job.sender}, ${NO_RUN_MESSAGE}`);
    return;
  }
  const live = LIVE_STATES.includes(latest.state);
  log.info({ run: latest.id, state: latest.state }, 'command taken');
  switch (job.name) {
    case 'status':
      await reply(`@${job.sender}, ${statusLine(latest)}`);
      return;
    case 'plan':
      await reply(await planReply(ctx.store, latest, job.sender));
      return;
    case 'cancel':
      if (!live) {
        await reply(`@${job.sender}, nothing to cancel: the last run of #${latest.issueNumber} already ended.`);
        return;
      }
      await ctx.send.cancel({
        repo: latest.repo,
        issueNumber: latest.issueNumber,
        installationId: job.installationId,
        reason: `@${job.sender} asked with \`/agent cancel\``,
      });
      return;
    case 'retry':
      if (live) {
        await reply(
          `@${job.sender}, a run of #${latest.issueNumber} is already ${latest.state}; \`/agent cancel\` it first to start over.`,
        );
        return;
      }
      if (!subject.issueOpen) {
        await reply(`@${job.sender}, #${latest.issueNumber} is closed; reopen it to retry.`);
        return;
      }
      await retry(job, subject.issue, latest, ctx, octokit);
      return;
  }
}

async function planReply(store: Store, latest: RunRecord, sender: string): Promise<string> {
  const live = await store.liveRuns(latest.repo);
  const overview = planOverview(
    live.map((run) => ({
      issue: run.issueNumber,
      state: run.state as 'queued' | 'waiting' | 'running',
      dispatched: run.dispatchedAt !== null,
      priority: run.priority,
      createdAt: run.createdAt.getTime(),
      dependsOn: run.dependsOn,
      waitingReason: run.waitingReason,
    })),
  );
  const open = (await store.openPullRequests(latest.repo)).filter((run) => run.mergeability);
  const pulls =
    open.length === 0
      ? ''
      : `\n\nOpen pull requests:\n${open
          .map(
            (run) =>
              `- #${run.pullRequestNumber ?? 0} (issue #${run.issueNumber}): ${mergeabilityLines(run.mergeability as Mergeability).join(' ')}`,
          )
          .join('\n')}`;
  return `@${sender}, the plan for ${latest.repo} at ${timeOfDay(new Date())}:\n\n${overview}${pulls}`;
}

/**
 * A new run of the same agent on the issue's branch: the open pull request is updated, a closed
 * one replaced. The asker's instructions, and on a pull request the comments of writers there,
 * join the prompt.
 */
async function retry(
  job: CommandJob,
  issue: IssueSnapshot,
  latest: RunRecord,
  ctx: JobContext,
  octokit: GitHubClient,
): Promise<void> {
  const extra: PromptComment[] = [];
  if (job.pullRequest !== undefined) {
    const conversation = await readIssueComments(octokit, job.repo, job.pullRequest, [job.sender]);
    extra.push(
      ...conversation.forPrompt.map((comment) => ({
        ...comment,
        body: `(on pull request #${job.pullRequest}) ${comment.body}`,
      })),
    );
    extra.push(...(await readReviewComments(octokit, job.repo, job.pullRequest, [job.sender])));
  }
  if (job.args) extra.push({ author: job.sender, body: `Instructions for this retry: ${job.args}` });
  const trigger: RunTrigger = {
    deliveryId: job.deliveryId,
    installationId: job.installationId,
    sender: job.sender,
    label: latest.trigger.label,
    agent: latest.agent,
    repo: job.repo,
    issue,
    kind: 'retry',
  };
  const run = await intake(
    trigger,
    { ...ctx, clientFor: async () => octokit },
    { branch: latest.branch, attempt: latest.attempt + 1, comments: extra },
  );
  ctx.log.info({ run: run?.id, previous: latest.id }, 'retry requested');
}
