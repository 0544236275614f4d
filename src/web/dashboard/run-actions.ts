/** What a viewer does with one run on the dashboard: cancel or retry it, and follow its log. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIVE_STATES } from '../../domain/run.ts';
import type { DashboardOptions, Routes } from './options.ts';
import { page } from './pages.ts';
import { html, redirect } from './respond.ts';
import type { Viewer } from './session.ts';

/**
 * A button on a run's page: cancel the issue's live run, or retry it. Only a GitHub user with
 * write access, from this site (the Origin header; the session cookie is SameSite too).
 */
export async function act(
  options: Routes,
  req: IncomingMessage,
  res: ServerResponse,
  viewer: Viewer,
  runId: string,
  action: 'cancel' | 'retry',
): Promise<void> {
  const origin = req.headers.origin;
  if (
    origin &&
    origin !== `http://${req.headers.host ?? ''}` &&
    origin !== `https://${req.headers.host ?? ''}` &&
    origin !== options.publicUrl
  ) {
    res.writeHead(403, { 'content-type': 'text/plain' }).end('Cross-site request refused.');
    return;
  }
  const run = await options.store.getRun(runId);
  const access =
    run && viewer.kind === 'github'
      ? await options.accessOf(viewer.login, run.repo, run.installationId)
      : { read: viewer.kind === 'operator', write: false };
  if (!run || !access.read) {
    notFound(res, viewer);
    return;
  }
  if (!access.write || viewer.kind !== 'github') {
    html(
      res,
      403,
      page(
        'Not allowed',
        '<section><p>Cancelling and retrying take write access to the repository, and a GitHub sign-in to act under.</p></section>',
        { viewer: viewerName(viewer) },
      ),
    );
    return;
  }
  if (action === 'cancel') {
    await options.enqueueCancel({
      repo: run.repo,
      issueNumber: run.issueNumber,
      installationId: run.installationId,
      reason: `@${viewer.login} cancelled it on the dashboard`,
    });
  } else {
    await options.enqueueCommand({
      deliveryId: `dashboard-${randomUUID()}`,
      installationId: run.installationId,
      repo: run.trigger.repo,
      issue: run.trigger.issue,
      sender: viewer.login,
      commentId: undefined,
      issueOpen: true,
      name: 'retry',
      target: run.issueNumber,
    });
  }
  options.log.info({ run: run.id, action, by: viewer.login }, 'dashboard action');
  redirect(res, `/dashboard/runs/${encodeURIComponent(run.id)}?done=${action}`);
}

/** The answer for a run that does not exist or that the viewer may not read: the same, so as not to tell. */
export function notFound(res: ServerResponse, viewer: Viewer): void {
  html(
    res,
    404,
    page('Not found', '<section><p>No such run, or not one you can read.</p></section>', {
      viewer: viewerName(viewer),
    }),
  );
}

export const viewerName = (viewer: Viewer) => (viewer.kind === 'operator' ? 'the operator' : `@${viewer.login}`);

/** The run's log so far, then what follows as it is shipped, until the run has ended and all is sent. */
export async function streamLog(
  options: DashboardOptions,
  req: IncomingMessage,
  res: ServerResponse,
  runId: string,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write('retry: 2000\n\n');
  let closed = false;
  req.on('close', () => (closed = true));
  let after = Number(req.headers['last-event-id'] ?? 0) || 0;
  const pollMs = options.logPollMs ?? 500;
  while (!closed) {
    // Read the state first: a run that has ended has shipped its whole log before it was marked so.
    const ended = !LIVE_STATES.includes((await options.store.getRun(runId))?.state ?? 'failed');
    const chunks = await options.observability.logAfter(runId, after);
    for (const chunk of chunks) {
      res.write(`id: ${chunk.seq}\nevent: chunk\ndata: ${JSON.stringify(chunk.chunk)}\n\n`);
      after = chunk.seq;
    }
    if (ended && chunks.length === 0) {
      res.write('event: end\ndata: {}\n\n');
      break;
    }
    if (chunks.length === 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  res.end();
}
