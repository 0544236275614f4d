/**
 * Webhook handlers: verify (Probot did), filter, record, enqueue, acknowledge. Nothing here
 * talks to GitHub or git: GitHub gives a webhook ten seconds.
 */
import type { Context } from 'probot';
import type { Logger } from '../log/logger.ts';
import type {
  CancelJob,
  CiResultJob,
  CommandJob,
  IntakeJob,
  MergeabilityJob,
  PlanJob,
  ReportJob,
  SetupJob,
} from '../domain/jobs.ts';
import type { DeliveryStore } from '../store/deliveries.ts';
import type { Store } from '../store/runs.ts';
import type { PullRequestState, RepoRef } from '../domain/run.ts';
import { parseCommand } from './command-line.ts';
import { isDashboardBody, tickedRetries } from './repo-dashboard.ts';
import { parseTrigger, snapshotOf, type LabeledPayload } from './trigger.ts';

export interface WebhookDeps {
  store: Store;
  deliveries: DeliveryStore;
  enqueueIntake: (job: IntakeJob) => Promise<void>;
  requestPlan: (job: PlanJob) => Promise<void>;
  enqueueCancel: (job: CancelJob) => Promise<void>;
  enqueueCommand: (job: CommandJob) => Promise<void>;
  enqueueSetup: (job: SetupJob) => Promise<void>;
  /** Asks for the issue's status comment to be written again, at the calm pace. */
  enqueueReport: (job: ReportJob) => Promise<void>;
  /** Asks for the repository's open pull requests to be checked against their bases. */
  enqueueMergeability: (job: MergeabilityJob) => Promise<void>;
  /** Asks for a commit's CI results to be read: one of Switchyard's pull requests may have failing checks. */
  enqueueCiResult: (job: CiResultJob) => Promise<void>;
  log: Logger;
}

/** Records a delivery and enqueues its job; a failed enqueue forgets it so that a redelivery is taken. */
async function recordAndEnqueue(
  deps: WebhookDeps,
  deliveryId: string,
  event: string,
  enqueue: () => Promise<void>,
): Promise<boolean> {
  if (!(await deps.deliveries.record(deliveryId, event))) return false;
  try {
    await enqueue();
  } catch (error) {
    await deps.deliveries.forget(deliveryId).catch(() => undefined);
    throw error;
  }
  return true;
}

export interface CommentPayload extends Omit<LabeledPayload, 'label'> {
  action: string;
  comment: { id: number; body: string };
  issue: LabeledPayload['issue'] & { state?: string | undefined };
}

/** An `/agent …` comment on an issue becomes a command job. */
export async function onIssueComment(payload: CommentPayload, deliveryId: string, deps: WebhookDeps): Promise<void> {
  const command = parseCommand(payload.comment.body);
  if (!command || !payload.installation || payload.sender.type === 'Bot') return;
  const { repo, issue } = snapshotOf(payload);
  const sender = payload.sender.login;
  const log = deps.log.child({ delivery: deliveryId, repo: repo.fullName, issue: issue.number });
  const job: CommandJob = {
    deliveryId,
    installationId: payload.installation.id,
    repo,
    issue,
    sender,
    commentId: payload.comment.id,
    issueOpen: payload.issue.state !== 'closed',
    name: command.name,
    args: command.args,
    pullRequest: payload.issue.pull_request ? issue.number : undefined,
  };
  if (!(await recordAndEnqueue(deps, deliveryId, 'issue_comment', () => deps.enqueueCommand(job)))) {
    log.info('redelivery of a recorded delivery ignored');
    return;
  }
  log.info({ command: command.name, sender }, 'command recorded');
}

/** A ticked retry box on the repository's dashboard issue becomes a retry command per ticked issue. */
export async function onDashboardEdited(
  payload: Omit<CommentPayload, 'comment'> & { changes?: { body?: { from: string } | undefined } | undefined },
  deliveryId: string,
  deps: WebhookDeps,
): Promise<void> {
  if (!payload.installation || payload.sender.type === 'Bot' || !isDashboardBody(payload.issue.body)) return;
  const ticked = tickedRetries(payload.changes?.body?.from ?? '', payload.issue.body ?? '');
  if (ticked.length === 0) return;
  const { repo, issue } = snapshotOf(payload);
  for (const target of ticked) {
    const job: CommandJob = {
      deliveryId: `${deliveryId}:${target}`,
      installationId: payload.installation.id,
      repo,
      issue,
      sender: payload.sender.login,
      commentId: undefined,
      issueOpen: true,
      name: 'retry',
      target,
    };
    if (await recordAndEnqueue(deps, job.deliveryId, 'issues', () => deps.enqueueCommand(job)))
      deps.log.info({ repo: repo.fullName, issue: target, sender: job.sender }, 'retry ticked on the dashboard');
  }
}

/**
 * A Switchyard pull request was merged, closed or reopened: the issue's status shows it, and the
 * other open ones are checked again (one that waited for it may be repaired now).
 */
export async function onPullRequestFate(
  payload: {
    repository: PushPayload['repository'];
    installation?: { id: number } | undefined;
    number: number;
    pull_request: { head: { ref: string } };
  },
  fate: PullRequestState,
  deps: WebhookDeps,
): Promise<void> {
  if (!payload.pull_request.head.ref.startsWith('agent/')) return;
  const run = await deps.store.setPullRequestState(payload.repository.full_name, payload.number, fate);
  if (!run) return;
  deps.log.info({ repo: run.repo, issue: run.issueNumber, pr: payload.number, fate }, 'pull request state changed');
  await deps.enqueueReport({ repo: run.repo, issueNumber: run.issueNumber });
  if (payload.installation && (await deps.store.hasOpenPullRequests(run.repo)))
    await deps.enqueueMergeability({ installationId: payload.installation.id, repo: repoRefOf(payload.repository) });
}

export interface PushPayload {
  ref: string;
  /** Where the branch points now (all zeros when it was deleted). */
  after: string;
  deleted?: boolean | undefined;
  repository: {
    name: string;
    full_name: string;
    clone_url: string;
    default_branch: string;
    owner: { login: string } | null;
  };
  installation?: { id: number } | undefined;
}

/**
 * A branch moved (a merge, a push, a deletion): when the repository has open Switchyard pull
 * requests, they are checked against their bases. Pushes of tags, and repositories without open
 * pull requests, are ignored; a burst of pushes is checked once (the job is debounced). The
 * push is remembered: a pass with no push to read since its last asks GitHub nothing.
 */
export async function onPush(payload: PushPayload, deliveryId: string, deps: WebhookDeps): Promise<void> {
  if (!payload.installation || !payload.ref.startsWith('refs/heads/')) return;
  const repository = payload.repository;
  // Kept before the pass is asked for: a pass that began earlier left this push to the next one.
  // Only the branches a pass reads: the default branch and Switchyard's own (the bases of stacks).
  if (payload.ref === `refs/heads/${repository.default_branch}` || payload.ref.startsWith('refs/heads/agent/'))
    await deps.store.recordPush(repository.full_name, payload.ref, payload.after);
  if (!(await deps.store.hasOpenPullRequests(repository.full_name))) return;
  deps.log.debug({ delivery: deliveryId, repo: repository.full_name, ref: payload.ref }, 'push: checking mergeability');
  await deps.enqueueMergeability({ installationId: payload.installation.id, repo: repoRefOf(repository) });
}

/**
 * CI finished something on a commit (a check suite or run completed, a status was set): when the
 * repository has open Switchyard pull requests, the commit's results are read (debounced per commit:
 * a suite's runs and its own completion come together). Pending statuses are not a result yet.
 */
export async function onCiResult(
  payload: { repository: PushPayload['repository']; installation?: { id: number } | undefined },
  sha: string,
  deps: WebhookDeps,
): Promise<void> {
  if (!payload.installation) return;
  if (!(await deps.store.hasOpenPullRequests(payload.repository.full_name))) return;
  await deps.enqueueCiResult({ installationId: payload.installation.id, repo: repoRefOf(payload.repository), sha });
}

function repoRefOf(repository: PushPayload['repository']): RepoRef {
  return {
    owner: repository.owner?.login ?? repository.full_name.split('/')[0] ?? '',
    name: repository.name,
    fullName: repository.full_name,
    cloneUrl: repository.clone_url,
    defaultBranch: repository.default_branch,
  };
}

/** The app was installed on repositories: create its labels there. */
export async function onInstalled(
  payload: {
    installation: { id: number };
    repositories?: Array<{ name: string; full_name: string }> | undefined;
    repositories_added?: Array<{ name: string; full_name: string }> | undefined;
  },
  deps: WebhookDeps,
): Promise<void> {
  const repos = (payload.repositories ?? payload.repositories_added ?? []).map((r) => ({
    owner: r.full_name.split('/')[0] ?? '',
    name: r.name,
    fullName: r.full_name,
  }));
  if (repos.length === 0) return;
  await deps.enqueueSetup({ installationId: payload.installation.id, repos });
  deps.log.info({ installation: payload.installation.id, repos: repos.length }, 'installation set-up queued');
}

/** Removing the run's `agent:*` label, or closing the issue, cancels the issue's live run. */
export async function onCancelEvent(
  payload: {
    repository: { full_name: string };
    installation?: { id: number } | undefined;
    issue: { number: number };
    sender: { login: string; type: string };
    label?: { name: string } | undefined;
  },
  kind: 'unlabeled' | 'closed',
  deps: WebhookDeps,
): Promise<void> {
  if (!payload.installation || payload.sender.type === 'Bot') return;
  const live = await deps.store.liveRunFor(payload.repository.full_name, payload.issue.number);
  if (!live) return;
  if (kind === 'unlabeled' && payload.label?.name.toLowerCase() !== live.trigger.label.toLowerCase()) return;
  const reason =
    kind === 'unlabeled'
      ? `@${payload.sender.login} removed the \`${live.trigger.label}\` label`
      : `@${payload.sender.login} closed the issue`;
  await deps.enqueueCancel({
    repo: live.repo,
    issueNumber: live.issueNumber,
    installationId: payload.installation.id,
    reason,
  });
  deps.log.info({ repo: live.repo, issue: live.issueNumber, run: live.id, reason }, 'cancel requested');
}

/**
 * A merged pull request or a closed issue can satisfy a dependency: plan the repository again
 * when it has live runs.
 */
export async function onDependencyEvent(
  payload: { repository: { full_name: string }; installation?: { id: number } | undefined },
  what: string,
  deps: WebhookDeps,
): Promise<void> {
  if (!payload.installation) return;
  const live = await deps.store.liveRuns(payload.repository.full_name);
  if (live.length === 0) return;
  deps.log.info({ repo: payload.repository.full_name, event: what }, 'planning again');
  await deps.requestPlan({ repo: payload.repository.full_name, installationId: payload.installation.id });
}

export async function onIssueLabeled(context: Context<'issues.labeled'>, deps: WebhookDeps): Promise<void> {
  const parsed = parseTrigger(context.payload, context.id);
  const log = deps.log.child({
    delivery: context.id,
    repo: context.payload.repository.full_name,
    issue: context.payload.issue.number,
  });
  if (parsed.kind === 'ignore') {
    log.debug({ why: parsed.why }, 'label ignored');
    return;
  }
  if (
    !(await recordAndEnqueue(deps, context.id, context.name, () => deps.enqueueIntake({ trigger: parsed.trigger })))
  ) {
    log.info('redelivery of a recorded delivery ignored');
    return;
  }
  log.info({ agent: parsed.trigger.agent, sender: parsed.trigger.sender }, 'trigger recorded');
}
