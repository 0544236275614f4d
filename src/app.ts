/** The Probot app function: registers handlers, nothing else. */
import type { ApplicationFunction } from 'probot';
import { onCancelEvent, onDependencyEvent, onIssueLabeled, type WebhookDeps } from './github/webhooks.ts';

export function switchyardApp(deps: WebhookDeps): ApplicationFunction {
  return (app) => {
    app.on('issues.labeled', (context) => onIssueLabeled(context, deps));
    app.on('issues.unlabeled', (context) => onCancelEvent(context.payload, 'unlabeled', deps));
    app.on('issues.closed', async (context) => {
      await onCancelEvent(context.payload, 'closed', deps);
      await onDependencyEvent(context.payload, `#${context.payload.issue.number} closed`, deps);
    });
    // Merged: a dependency may be satisfied. Closed either way: an open pull request slot is free.
    app.on('pull_request.closed', (context) =>
      onDependencyEvent(context.payload, `pull request #${context.payload.number} ${context.payload.pull_request.merged ? 'merged' : 'closed'}`, deps),
    );
  };
}
