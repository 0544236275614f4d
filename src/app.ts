/** The Probot app function: registers handlers, nothing else. */
import type { ApplicationFunction, Context } from 'probot';
import { assertPayload } from './github/payload-guard.ts';
import {
  onCancelEvent,
  onDashboardEdited,
  onDependencyEvent,
  onInstalled,
  onIssueComment,
  onIssueLabeled,
  onPullRequestFate,
  onCiResult,
  onPush,
  type WebhookDeps,
} from './github/webhooks.ts';

type Checked = 'issues' | 'issue_comment' | 'pull_request' | 'push' | 'check_suite' | 'check_run' | 'status';

/** A handler that first checks the fields it reads: a malformed payload is answered 400, not a TypeError's 500. */
function checked<E extends Context>(handler: (context: E) => Promise<void>): (context: E) => Promise<void> {
  return async (context) => {
    const payload: unknown = context.payload;
    const action =
      typeof payload === 'object' && payload !== null && 'action' in payload ? String(payload.action) : undefined;
    assertPayload(context.name as Checked, action, payload);
    await handler(context);
  };
}

export function switchyardApp(deps: WebhookDeps): ApplicationFunction {
  return (app) => {
    app.on(
      'issues.labeled',
      checked((context) => onIssueLabeled(context, deps)),
    );
    app.on(
      'issues.unlabeled',
      checked((context) => onCancelEvent(context.payload, 'unlabeled', deps)),
    );
    app.on(
      'issues.closed',
      checked(async (context) => {
        await onCancelEvent(context.payload, 'closed', deps);
        await onDependencyEvent(context.payload, `#${context.payload.issue.number} closed`, deps);
      }),
    );
    app.on(
      'issue_comment.created',
      checked((context) => onIssueComment(context.payload, context.id, deps)),
    );
    // A retry box ticked on the repository's dashboard issue.
    app.on(
      'issues.edited',
      checked((context) => onDashboardEdited(context.payload, context.id, deps)),
    );
    // Merged: a dependency may be satisfied. Closed either way: an open pull request slot is free.
    app.on(
      'pull_request.closed',
      checked(async (context) => {
        const fate = context.payload.pull_request.merged ? 'merged' : 'closed';
        await onPullRequestFate(context.payload, fate, deps);
        await onDependencyEvent(context.payload, `pull request #${context.payload.number} ${fate}`, deps);
      }),
    );
    app.on(
      'pull_request.reopened',
      checked((context) => onPullRequestFate(context.payload, 'open', deps)),
    );
    // A branch moved: the open pull requests on it may now conflict, be behind, or need restacking.
    app.on(
      'push',
      checked((context) => onPush(context.payload, context.id, deps)),
    );
    // CI finished on a commit: a Switchyard pull request's checks may have failed (`pullRequest.fixFailingChecks`).
    app.on(
      'check_suite.completed',
      checked((context) => onCiResult(context.payload, context.payload.check_suite.head_sha, deps)),
    );
    app.on(
      'check_run.completed',
      checked((context) => onCiResult(context.payload, context.payload.check_run.head_sha, deps)),
    );
    app.on(
      'status',
      checked(async (context) => {
        if (context.payload.state !== 'pending') await onCiResult(context.payload, context.payload.sha, deps);
      }),
    );
    app.on(['installation.created', 'installation_repositories.added'], (context) =>
      onInstalled(context.payload, deps),
    );
  };
}
