/** The Probot app function: registers handlers, nothing else. */
import type { ApplicationFunction } from 'probot';
import { onCancelEvent, onDependencyEvent, onInstalled, onIssueComment, onIssueLabeled, onPullRequestClosed, onPullRequestReopened, type WebhookDeps } from './github/webhooks.ts';

export function switchyardApp(deps: WebhookDeps): ApplicationFunction {
  return (app) => {
    app.on('issues.labeled', (context) => onIssueLabeled(context, deps));
    app.on('issues.unlabeled', (context) => onCancelEvent(context.payload, 'unlabeled', deps));
    app.on('issues.closed', async (context) => {
      await onCancelEvent(context.payload, 'closed', deps);
      await onDependencyEvent(context.payload, `#${context.payload.issue.number} closed`, deps);
    });
    app.on('issue_comment.created', (context) => onIssueComment(context.payload, context.id, deps));
    // Merged: a dependency may be satisfied. Closed either way: an open pull request slot is free.
    app.on('pull_request.closed', async (context) => {
      await onPullRequestClosed(context.payload, deps);
      await onDependencyEvent(context.payload, `pull request #${context.payload.number} ${context.payload.pull_request.merged ? 'merged' : 'closed'}`, deps);
    });
    app.on('pull_request.reopened', (context) => onPullRequestReopened(context.payload, deps));
    app.on(['installation.created', 'installation_repositories.added'], (context) => onInstalled(context.payload, deps));
  };
}
