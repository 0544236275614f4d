/**
 * The dashboard's HTTP side, served by the web role under /dashboard: sign-in with the operator
 * token or with GitHub, the overview, a page per run, and each run's log as server-sent events
 * read from the database (so a web role on another machine than the worker streams it too).
 *
 * The operator sees every repository. Someone signed in with GitHub sees the repositories they
 * can read (as GitHub answers the installation), and where they have write access may cancel and
 * retry runs, as with `/agent cancel` and `/agent retry`, under their own name. The operator token
 * names nobody on GitHub, so it only reads. Everyone else sees the sign-in page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import { request as octokitRequest } from '@octokit/request';
import { LruMap } from 'toad-cache';
import type { RunRecord } from '../../domain/run.ts';
import type { Access, DashboardOptions, Routes } from './options.ts';
import { loginPage, overviewPage, page, runPage } from './pages.ts';
import { formField, html, redirect } from './respond.ts';
import { act, notFound, streamLog, viewerName } from './run-actions.ts';
import { isOperatorToken, oauthState, oauthStateMatches, sessionCookie, SIGN_OUT_COOKIE, viewerOf } from './session.ts';

export type { Access, DashboardOptions } from './options.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Workers not heard from for this long are not listed. */
const WORKER_FRESH_MS = 30_000;

/** How long GitHub's answer about someone's access is reused: the overview reloads every 5 s. */
const ACCESS_TTL_MS = 60_000;

/** Handles a /dashboard request; false for any other path. */
export function dashboardRoutes(options: DashboardOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const answers = new LruMap<Promise<Access>>(1_000, ACCESS_TTL_MS);
  const accessOf = (login: string, repo: string, installationId: number): Promise<Access> => {
    const key = `${login}\n${repo}`;
    let answer = answers.get(key);
    if (!answer) {
      answer = options.accessOf(login, repo, installationId).catch(() => ({ read: false, write: false }));
      answers.set(key, answer);
    }
    return answer;
  };
  const routes: Routes = {
    ...options,
    accessOf,
    request: options.oauth ? octokitRequest.defaults({ baseUrl: options.oauth.apiUrl }) : undefined,
  };
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path !== '/dashboard' && !path.startsWith('/dashboard/')) return false;
    serve(routes, req, res, path).catch((error: unknown) => {
      options.log.error({ err: error, path }, 'dashboard request failed');
      if (!res.headersSent)
        html(res, 500, page('Error', '<section><p>The dashboard could not answer; the log says why.</p></section>'));
      else res.end();
    });
    return true;
  };
}

/** The options, with access answers cached and GitHub's request function built once. */

async function serve(options: Routes, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const { token, oauth, request } = options;
  // Sessions are signed with the operator token, or the OAuth client secret when there is none.
  const key = token ?? oauth?.clientSecret;
  if (!key) {
    html(
      res,
      404,
      page(
        'Dashboard',
        "<section><p>The dashboard is off. The operator turns it on with <code>SWITCHYARD_DASHBOARD_TOKEN</code>, or with the app's <code>GITHUB_CLIENT_ID</code> and <code>GITHUB_CLIENT_SECRET</code> for signing in with GitHub.</p></section>",
      ),
    );
    return;
  }
  const ways = { token: Boolean(token), github: Boolean(oauth) };
  const callbackUrl = `${options.publicUrl ?? `http://${req.headers.host ?? 'localhost'}`}/dashboard/login/github/callback`;
  if (path === '/dashboard/login') {
    if (req.method === 'POST' && token) {
      const given = await formField(req, 'token');
      if (given && isOperatorToken(token, given)) {
        redirect(res, '/dashboard', {
          'set-cookie': sessionCookie(key, { kind: 'operator' }, Date.now(), options.secureCookies),
        });
        return;
      }
      options.log.warn({ from: req.socket.remoteAddress }, 'dashboard sign-in refused');
      html(res, 401, loginPage(ways, 'That is not the operator token.'));
      return;
    }
    html(res, 200, loginPage(ways, undefined));
    return;
  }
  if (path === '/dashboard/login/github' && oauth && request) {
    const { state, cookie } = oauthState(options.secureCookies);
    const { url } = getWebFlowAuthorizationUrl({
      clientType: 'github-app',
      clientId: oauth.clientId,
      redirectUrl: callbackUrl,
      state,
      request,
    });
    redirect(res, url, { 'set-cookie': cookie });
    return;
  }
  if (path === '/dashboard/login/github/callback' && oauth && request) {
    const query = new URL(req.url ?? '', 'http://x').searchParams;
    if (!oauthStateMatches(req.headers.cookie, query.get('state'))) {
      html(res, 400, loginPage(ways, 'The sign-in with GitHub did not come back as it left; try again.'));
      return;
    }
    try {
      const { authentication } = await exchangeWebFlowCode({
        clientType: 'github-app',
        clientId: oauth.clientId,
        clientSecret: oauth.clientSecret,
        code: query.get('code') ?? '',
        redirectUrl: callbackUrl,
        request,
      });
      const { data: user } = await request('GET /user', {
        headers: { authorization: `token ${authentication.token}` },
      });
      redirect(res, '/dashboard', {
        'set-cookie': sessionCookie(key, { kind: 'github', login: user.login }, Date.now(), options.secureCookies),
      });
    } catch (error) {
      options.log.warn({ err: error }, 'sign-in with GitHub failed');
      html(res, 401, loginPage(ways, `GitHub did not confirm the sign-in: ${(error as Error).message}`));
    }
    return;
  }
  if (path === '/dashboard/logout' && req.method === 'POST') {
    redirect(res, '/dashboard/login', { 'set-cookie': SIGN_OUT_COOKIE });
    return;
  }
  const viewer = viewerOf(key, req.headers.cookie, Date.now());
  if (!viewer) {
    if (path.endsWith('/log')) res.writeHead(401, { 'content-type': 'text/plain' }).end('Sign in first.');
    else redirect(res, '/dashboard/login');
    return;
  }
  const visible = (run: RunRecord) =>
    viewer.kind === 'operator'
      ? Promise.resolve(true)
      : options.accessOf(viewer.login, run.repo, run.installationId).then((access) => access.read);
  const action = /^\/dashboard\/runs\/([^/]+)\/(cancel|retry)$/.exec(path);
  if (action && req.method === 'POST') {
    await act(options, req, res, viewer, decodeURIComponent(action[1] ?? ''), action[2] as 'cancel' | 'retry');
    return;
  }
  if (req.method !== 'GET') {
    res.writeHead(405, { allow: 'GET' }).end();
    return;
  }
  if (path === '/dashboard' || path === '/dashboard/') {
    const now = new Date();
    const [all, workers] = await Promise.all([
      options.store.dashboardRuns(new Date(now.getTime() - DAY_MS)),
      options.observability.workers(WORKER_FRESH_MS),
    ]);
    const runs = [];
    for (const run of all) if (await visible(run)) runs.push(run);
    html(res, 200, overviewPage({ runs, workers, now, viewer: viewerName(viewer) }));
    return;
  }
  const match = /^\/dashboard\/runs\/([^/]+)(\/log)?$/.exec(path);
  const found = match ? await options.store.getRun(decodeURIComponent(match[1] ?? '')) : undefined;
  const run = found && (await visible(found)) ? found : undefined;
  if (!match || !run) {
    notFound(res, viewer);
    return;
  }
  if (match[2]) {
    await streamLog(options, req, res, run.id);
    return;
  }
  const mayAct = viewer.kind === 'github' && (await options.accessOf(viewer.login, run.repo, run.installationId)).write;
  const done = new URL(req.url ?? '', 'http://x').searchParams.get('done');
  html(
    res,
    200,
    runPage({
      run,
      attempts: await options.attempts.list(run.id),
      now: new Date(),
      viewer: viewerName(viewer),
      mayAct,
      done: done === 'cancel' || done === 'retry' ? done : undefined,
    }),
  );
}
