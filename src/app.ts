/** The Probot app function: registers handlers, nothing else. */
import type { ApplicationFunction } from 'probot';
import { onDependencyEvent, onIssueLabeled, type WebhookDeps } from './github/webhooks.ts';

export function switchyardApp(deps: WebhookDeps): ApplicationFunction {
  return (app) => {
    app.on('issues.labeled', (context) => onIssueLabeled(context, deps));
    app.on('issues.closed', (context) => onDependencyEvent(context.payload, `#${context.payload.issue.number} closed`, deps));
    app.on('pull_request.closed', async (context) => {
      if (context.payload.pull_request.merged) await onDependencyEvent(context.payload, `pull request #${context.payload.number} merged`, deps);
    });
  };
}
