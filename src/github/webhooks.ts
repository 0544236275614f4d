/**
 * Webhook handlers: verify (Probot did), filter, record, enqueue, acknowledge. Nothing here
 * talks to GitHub or git: GitHub gives a webhook ten seconds.
 */
import type { Context } from 'probot';
import type { Logger } from '../log/logger.ts';
import type { IntakeJob } from '../queue/jobs.ts';
import type { Store } from '../store/records.ts';
import { parseTrigger } from './trigger.ts';

export interface WebhookDeps {
  store: Store;
  enqueueIntake: (job: IntakeJob) => Promise<void>;
  log: Logger;
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
