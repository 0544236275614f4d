/** The Probot app function: registers handlers, nothing else. */
import type { ApplicationFunction } from 'probot';
import { onCancelEvent, onDependencyEvent, onInstalled, onIssueComment, onIssueLabeled, onPullRequestFate, type WebhookDeps } from './github/webhooks.ts';

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
      const fate = context.payload.pull_request.merged ? 'merged' : 'closed';
      await onPullRequestFate(context.payload, fate, deps);
      await onDependencyEvent(context.payload, `pull request #${context.payload.number} ${fate}`, deps);
    });
    app.on('pull_request.reopened', (context) => onPullRequestFate(context.payload, 'open', deps));
    app.on(['installation.created', 'installation_repositories.added'], (context) => onInstalled(context.payload, deps));
  };
}
