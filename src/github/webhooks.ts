/**
 * Webhook handlers: verify (Probot did), filter, record, enqueue, acknowledge. Nothing here
 * talks to GitHub or git: GitHub gives a webhook ten seconds.
 */
import type { Context } from 'probot';
import type { Logger } from '../log/logger.ts';
import type { CancelJob, IntakeJob, PlanJob } from '../queue/jobs.ts';
import type { Store } from '../store/records.ts';
import { parseTrigger } from './trigger.ts';

export interface WebhookDeps {
  store: Store;
  enqueueIntake: (job: IntakeJob) => Promise<void>;
  requestPlan: (job: PlanJob) => Promise<void>;
  enqueueCancel: (job: CancelJob) => Promise<void>;
  log: Logger;
}

/** Removing the run's `agent:*` label, or closing the issue, cancels the issue's live run. */
export async function onCancelEvent(
  payload: { repository: { full_name: string }; installation?: { id: number } | undefined; issue: { number: number }; sender: { login: string; type: string }; label?: { name: string } | undefined },
  kind: 'unlabeled' | 'closed',
  deps: WebhookDeps,
): Promise<void> {
  if (!payload.installation || payload.sender.type === 'Bot') return;
  const live = await deps.store.liveRunFor(payload.repository.full_name, payload.issue.number);
  if (!live) return;
  if (kind === 'unlabeled' && payload.label?.name.toLowerCase() !== live.trigger.label.toLowerCase()) return;
  const reason = kind === 'unlabeled' ? `@${payload.sender.login} removed the \`${live.trigger.label}\` label` : `@${payload.sender.login} closed the issue`;
  await deps.enqueueCancel({ repo: live.repo, issueNumber: live.issueNumber, installationId: payload.installation.id, reason });
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
  const log = deps.log.child({ delivery: context.id, repo: context.payload.repository.full_name, issue: context.payload.issue.number });
  if (parsed.kind === 'ignore') {
    log.debug({ why: parsed.why }, 'label ignored');
    return;
  }
  if (!(await deps.store.recordDelivery(context.id, context.name))) {
    log.info('redelivery of a recorded delivery ignored');
    return;
  }
  try {
    await deps.enqueueIntake({ trigger: parsed.trigger });
  } catch (error) {
    // Forget the delivery so that GitHub's redelivery of it (after our error answer) is taken.
    await deps.store.forgetDelivery(context.id).catch(() => undefined);
    throw error;
  }
  log.info({ agent: parsed.trigger.agent, sender: parsed.trigger.sender }, 'trigger recorded');
}
