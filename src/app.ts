/** The Probot app function: registers handlers, nothing else. */
import type { ApplicationFunction } from 'probot';
import { onIssueLabeled, type WebhookDeps } from './github/webhooks.ts';

export function switchyardApp(deps: WebhookDeps): ApplicationFunction {
  return (app) => {
    app.on('issues.labeled', (context) => onIssueLabeled(context, deps));
  };
}
