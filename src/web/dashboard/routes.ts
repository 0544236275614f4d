/**
 * The dashboard's HTTP side, served by the web role under /dashboard: sign-in with the operator
 * token, the overview, a page per run, and each run's log as server-sent events read from the
 * database (so a web role on another machine than the worker streams it too).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log/logger.ts';
import type { ObservabilityStore } from '../../store/observability.ts';
import { LIVE_STATES, type Store } from '../../store/records.ts';
import { loginPage, overviewPage, page, runPage } from './pages.ts';
import { hasSession, isOperatorToken, sessionCookie, SIGN_OUT_COOKIE } from './session.ts';

export interface DashboardOptions {
  store: Store;
  observability: ObservabilityStore;
  /** The operator token; without one the dashboard is off. */
  token: string | undefined;
  /** Cookies marked Secure: the dashboard is reached over HTTPS. */
  secureCookies: boolean;
  log: Logger;
  /** How often a streaming log looks for new output. */
  logPollMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Workers not heard from for this long are not listed. */
const WORKER_FRESH_MS = 30_000;

function html(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'referrer-policy': 'same-origin', ...headers }).end(body);
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', ...headers }).end();
}

async function formField(req: IncomingMessage, name: string): Promise<string | undefined> {
  let body = '';
  for await (const chunk of req) {
    body += (chunk as Buffer).toString();
    if (body.length > 4096) return undefined;
  }
  return new URLSearchParams(body).get(name) ?? undefined;
}

/** Handles a /dashboard request; false for any other path. */
export function dashboardRoutes(options: DashboardOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path !== '/dashboard' && !path.startsWith('/dashboard/')) return false;
    serve(options, req, res, path).catch((error: unknown) => {
      options.log.error({ err: error, path }, 'dashboard request failed');
      if (!res.headersSent) html(res, 500, page('Error', '<section><p>The dashboard could not answer; the log says why.</p></section>'));
      else res.end();
    });
    return true;
  };
}

async function serve(options: DashboardOptions, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const { token } = options;
  if (!token) {
    html(res, 404, page('Dashboard', '<section><p>The dashboard is off. The operator turns it on by setting <code>SWITCHYARD_DASHBOARD_TOKEN</code>.</p></section>'));
    return;
  }
  if (path === '/dashboard/login') {
    if (req.method === 'POST') {
      const given = await formField(req, 'token');
      if (given && isOperatorToken(token, given)) {
        redirect(res, '/dashboard', { 'set-cookie': sessionCookie(token, Date.now(), options.secureCookies) });
        return;
      }
      options.log.warn({ from: req.socket.remoteAddress }, 'dashboard sign-in refused');
      html(res, 401, loginPage('That is not the operator token.'));
      return;
    }
    html(res, 200, loginPage(undefined));
    return;
  }
  if (path === '/dashboard/logout' && req.method === 'POST') {
    redirect(res, '/dashboard/login', { 'set-cookie': SIGN_OUT_COOKIE });
    return;
  }
  if (!hasSession(token, req.headers.cookie, Date.now())) {
    if (path.endsWith('/log')) res.writeHead(401, { 'content-type': 'text/plain' }).end('Sign in first.');
    else redirect(res, '/dashboard/login');
    return;
  }
  if (req.method !== 'GET') {
    res.writeHead(405, { allow: 'GET' }).end();
    return;
  }
  if (path === '/dashboard' || path === '/dashboard/') {
    const now = new Date();
    const [runs, workers] = await Promise.all([options.store.dashboardRuns(new Date(now.getTime() - DAY_MS)), options.observability.workers(WORKER_FRESH_MS)]);
    html(res, 200, overviewPage({ runs, workers, now }));
    return;
  }
  const match = /^\/dashboard\/runs\/([^/]+)(\/log)?$/.exec(path);
  const run = match ? await options.store.getRun(decodeURIComponent(match[1] ?? '')) : undefined;
  if (!match || !run) {
    html(res, 404, page('Not found', '<section><p>No such run.</p></section>', { signedIn: true }));
    return;
  }
  if (match[2]) {
    await streamLog(options, req, res, run.id);
    return;
  }
  html(res, 200, runPage({ run, attempts: await options.store.attempts(run.id), now: new Date() }));
}

/** The run's log so far, then what follows as it is shipped, until the run has ended and all is sent. */
async function streamLog(options: DashboardOptions, req: IncomingMessage, res: ServerResponse, runId: string): Promise<void> {
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
