/**
 * `/agent` commands in issue comments, from people with write access: `retry` (a new attempt on
 * the issue's branch and pull request), `cancel`, `status` and `plan` (both answered in the status
 * comment). Anything else, or a command from someone else, gets a short reply.
 */
import type { Logger } from '../log/logger.ts';
import type { CancelJob, CommandJob } from '../queue/jobs.ts';
import { planOverview } from '../scheduler/overview.ts';
import type { GitHubRecords } from '../store/github-records.ts';
import { LIVE_STATES, type RunRecord, type RunTrigger, type Store } from '../store/records.ts';
import { repoParams, type ClientFactory, type GitHubClient } from './client.ts';
import { handleTrigger, type IntakeDeps } from './intake.ts';
import { COMMANDS, isCommand } from './command-line.ts';
import { fetchPermission } from './permissions.ts';
import type { StatusReporter } from './status-reporter.ts';

const COMMAND_LIST = COMMANDS.map((c) => `\`/agent ${c}\``).join(', ');

export function unknownCommandMessage(sender: string, name: string): string {
  return name
    ? `@${sender}, \`/agent ${name.slice(0, 40).replace(/`/g, "'")}\` is not a Switchyard command. Commands: ${COMMAND_LIST}.`
    : `@${sender}, \`/agent\` needs a command: ${COMMAND_LIST}.`;
}

export function commandRefusalMessage(sender: string, permission: string): string {
  return `@${sender}, only people with write access to this repository can use \`/agent\` commands. Your access here is \`${permission}\`.`;
}

export const NO_RUN_MESSAGE = 'Switchyard has not run an agent on this issue yet. Add an `agent:<name>` label to start one.';

export interface CommandDeps {
  store: Store;
  records: GitHubRecords;
  clientFor: ClientFactory;
  status: StatusReporter;
  intake: IntakeDeps;
  enqueueCancel: (job: CancelJob) => Promise<void>;
  log: Logger;
}

function timeOfDay(date: Date): string {
  return `${date.toISOString().slice(11, 19)} UTC`;
}

export async function handleCommand(job: CommandJob, deps: CommandDeps): Promise<void> {
  const log = deps.log.child({ repo: job.repo.fullName, issue: job.issue.number, command: job.name, sender: job.sender });
  const octokit = await deps.clientFor(job.installationId);
  const issue = { ...repoParams(job.repo), issue_number: job.issue.number };
  const reply = (body: string) => octokit.rest.issues.createComment({ ...issue, body });

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
  await octokit.rest.reactions.createForIssueComment({ ...repoParams(job.repo), comment_id: job.commentId, content: 'eyes' });
  const latest = await deps.store.latestRunFor(job.repo.fullName, job.issue.number);
  if (!latest) {
    await reply(NO_RUN_MESSAGE);
    return;
  }
  const target = { repo: latest.repo, issueNumber: latest.issueNumber };
  const answer = async (note: string) => {
    await deps.records.setNote(target.repo, target.issueNumber, note);
    await deps.status.writeNow(target);
  };
  const live = LIVE_STATES.includes(latest.state);
  log.info({ run: latest.id, state: latest.state }, 'command taken');
  switch (job.name) {
    case 'status':
      return answer(`@${job.sender} asked for the status at ${timeOfDay(new Date())}.`);
    case 'plan':
      return answer(await planNote(deps.store, latest, job.sender));
    case 'cancel':
      if (!live) return answer(`@${job.sender}: nothing to cancel, the last run already ended.`);
      await deps.enqueueCancel({ repo: latest.repo, issueNumber: latest.issueNumber, installationId: job.installationId, reason: `@${job.sender} asked with \`/agent cancel\`` });
      return;
    case 'retry':
      if (live) return answer(`@${job.sender}: a run is already ${latest.state}; \`/agent cancel\` it first to start over.`);
      if (!job.issueOpen) return answer(`@${job.sender}: the issue is closed; reopen it to retry.`);
      await retry(job, latest, deps, octokit);
      return;
  }
}

async function planNote(store: Store, latest: RunRecord, sender: string): Promise<string> {
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
  return `**Plan** (asked by @${sender} at ${timeOfDay(new Date())}):\n\n${overview}`;
}

/** A new run of the same agent on the issue's branch: the open pull request is updated, a closed one replaced. */
async function retry(job: CommandJob, latest: RunRecord, deps: CommandDeps, octokit: GitHubClient): Promise<void> {
  const trigger: RunTrigger = {
    deliveryId: job.deliveryId,
    installationId: job.installationId,
    sender: job.sender,
    label: latest.trigger.label,
    agent: latest.agent,
    repo: job.repo,
    issue: job.issue,
    kind: 'retry',
  };
  const run = await handleTrigger(trigger, { ...deps.intake, clientFor: async () => octokit }, { branch: latest.branch, attempt: latest.attempt + 1 });
  deps.log.info({ run: run?.id, previous: latest.id }, 'retry requested');
}
