/**
 * Check runs and commit statuses: made by a CI (a GitHub App for check runs; an app or a person
 * with write access for statuses), read by anyone who can see the repository, each change sent
 * as GitHub sends it: `check_run.created` and `.completed`, `check_suite.completed` once all of
 * an app's runs on a commit finished, `status` for every status.
 */
import {
  checkRunJson,
  combinedState,
  latestRuns,
  latestStatuses,
  statusJson,
  statusEvent,
  suiteJson,
  suiteStatus,
} from '../checks.ts';
import { TwinError, paginate, type Handler, type HandlerInput, type TwinCore } from '../core.ts';
import { repoJson } from '../payloads.ts';
import type {
  CheckConclusion,
  CheckStatus,
  TwinAnnotation,
  TwinAppIdentity,
  TwinCheckRun,
  TwinRepo,
  TwinStatus,
} from '../state.ts';

/** GitHub takes at most 50 annotations per request, and keeps the output's text to 65,535 characters. */
const MAX_ANNOTATIONS = 50;
const MAX_OUTPUT = 65_535;

/** The app behind a request: check runs can only be made by a GitHub App's installation. */
function appOf(core: TwinCore, input: HandlerInput): TwinAppIdentity {
  const actor = input.actor;
  if (actor?.kind !== 'installation') throw new TwinError(403, 'You must authenticate via a GitHub App.');
  return actor.app ?? core.app;
}

/** The commit a ref names; GitHub answers 422 for a body's unknown SHA, 404 for a path's unknown ref. */
async function commitOrFail(core: TwinCore, repo: TwinRepo, ref: string, status: 404 | 422 = 422): Promise<string> {
  const sha = await core.git.commitOf(repo.owner.login, repo.name, ref);
  if (!sha) throw new TwinError(status, `No commit found for SHA: ${ref}`);
  return sha;
}

/** The output, status and conclusion a create or update asks for, checked as GitHub checks them. */
function applyChange(run: TwinCheckRun, body: Record<string, unknown>): void {
  if (typeof body.name === 'string') run.name = body.name;
  if (typeof body.details_url === 'string') run.detailsUrl = body.details_url;
  if (typeof body.external_id === 'string') run.externalId = body.external_id;
  if (typeof body.started_at === 'string') run.startedAt = new Date(body.started_at);
  const conclusion = body.conclusion as CheckConclusion | undefined;
  const status = (conclusion ? 'completed' : body.status) as CheckStatus | undefined;
  if (status === 'completed' && !conclusion && !run.conclusion)
    throw new TwinError(422, 'Invalid request.', ['conclusion must be given when status is completed']);
  if (status) run.status = status;
  if (conclusion) {
    run.conclusion = conclusion;
    run.completedAt = typeof body.completed_at === 'string' ? new Date(body.completed_at) : new Date();
  }
  const output = body.output as
    { title?: string; summary?: string; text?: string; annotations?: TwinAnnotation[] } | undefined;
  if (output) {
    if (typeof output.summary === 'string' && output.summary.length > MAX_OUTPUT)
      throw new TwinError(422, 'Invalid request.', [`output.summary is longer than ${MAX_OUTPUT} characters`]);
    if (typeof output.text === 'string' && output.text.length > MAX_OUTPUT)
      throw new TwinError(422, 'Invalid request.', [`output.text is longer than ${MAX_OUTPUT} characters`]);
    if ((output.annotations?.length ?? 0) > MAX_ANNOTATIONS)
      throw new TwinError(422, 'Invalid request.', [`at most ${MAX_ANNOTATIONS} annotations per request`]);
    run.output = {
      title: output.title ?? run.output.title,
      summary: output.summary ?? run.output.summary,
      text: output.text ?? run.output.text,
    };
    // Annotations add up over updates, as on GitHub.
    run.annotations.push(...(output.annotations ?? []));
  }
}

/** Sends what a change of a check run makes GitHub send: the run's event, and the suite's once it completed. */
async function announce(
  core: TwinCore,
  repo: TwinRepo,
  run: TwinCheckRun,
  action: 'created' | 'completed',
  input: HandlerInput,
) {
  const envelope = core.envelope(repo, input);
  core.webhooks.send('check_run', { action, check_run: await checkRunJson(core, repo, run), ...envelope });
  const suite = repo.checkSuites.find((s) => s.id === run.suiteId);
  if (suite && run.status === 'completed' && suiteStatus(repo, suite) === 'completed') {
    core.webhooks.send('check_suite', {
      action: 'completed',
      check_suite: await suiteJson(core, repo, suite),
      ...envelope,
    });
  }
}

function runFor(repo: TwinRepo, input: HandlerInput): TwinCheckRun {
  const run = repo.checkRuns.find((r) => r.id === Number(input.params.check_run_id));
  if (!run) throw new TwinError(404, 'Not Found');
  return run;
}

export const checkHandlers: Record<string, Handler> = {
  'checks/create': async (core, input) => {
    const app = appOf(core, input);
    const repo = core.repoFor(input, 'write', 'checks');
    const sha = await commitOrFail(core, repo, String(input.body.head_sha));
    const now = new Date();
    let suite = repo.checkSuites.find((s) => s.app.id === app.id && s.headSha === sha);
    if (!suite) {
      const branches = await core.git.branches(repo.owner.login, repo.name);
      const headBranch = [...branches].find(([, head]) => head === sha)?.[0] ?? null;
      suite = { id: core.state.nextId(), app, headSha: sha, headBranch, createdAt: now, updatedAt: now };
      repo.checkSuites.push(suite);
    }
    const run: TwinCheckRun = {
      id: core.state.nextId(),
      suiteId: suite.id,
      app,
      name: String(input.body.name),
      headSha: sha,
      status: 'queued',
      conclusion: null,
      startedAt: now,
      completedAt: null,
      detailsUrl: null,
      externalId: null,
      output: { title: null, summary: null, text: null },
      annotations: [],
    };
    applyChange(run, input.body);
    repo.checkRuns.push(run);
    suite.updatedAt = now;
    // A run made completed is announced as created; its suite completes with it.
    await announce(core, repo, run, 'created', input);
    return { status: 201, body: await checkRunJson(core, repo, run) };
  },

  'checks/update': async (core, input) => {
    const app = appOf(core, input);
    const repo = core.repoFor(input, 'write', 'checks');
    const run = runFor(repo, input);
    if (run.app.id !== app.id)
      throw new TwinError(
        403,
        'Invalid app_id `' + app.id + '` - check run can only be modified by the GitHub App that created it.',
      );
    const wasCompleted = run.status === 'completed';
    applyChange(run, input.body);
    if (run.status === 'completed' && !wasCompleted) await announce(core, repo, run, 'completed', input);
    return { status: 200, body: await checkRunJson(core, repo, run) };
  },

  'checks/get': async (core, input) => {
    const repo = core.repoFor(input, 'read', 'checks');
    return { status: 200, body: await checkRunJson(core, repo, runFor(repo, input)) };
  },

  'checks/list-annotations': (core, input) => {
    const repo = core.repoFor(input, 'read', 'checks');
    const run = runFor(repo, input);
    const base = `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/check-runs/${run.id}/annotations`;
    const annotations = run.annotations.map((a) => ({
      path: a.path,
      start_line: a.start_line,
      end_line: a.end_line,
      start_column: a.start_column ?? null,
      end_column: a.end_column ?? null,
      annotation_level: a.annotation_level,
      title: a.title ?? null,
      message: a.message,
      raw_details: a.raw_details ?? null,
      blob_href: `${core.urls.web}/${repo.owner.login}/${repo.name}/blob/${run.headSha}/${a.path}`,
    }));
    return paginate(annotations, input.query, base);
  },

  'checks/list-for-ref': async (core, input) => {
    const repo = core.repoFor(input, 'read', 'checks');
    const sha = await commitOrFail(core, repo, input.params.ref ?? '', 404);
    const filter = input.query.get('filter') ?? 'latest';
    let runs = filter === 'all' ? repo.checkRuns.filter((r) => r.headSha === sha).reverse() : latestRuns(repo, sha);
    const name = input.query.get('check_name');
    const status = input.query.get('status');
    const appId = input.query.get('app_id');
    if (name) runs = runs.filter((r) => r.name === name);
    if (status) runs = runs.filter((r) => r.status === status);
    if (appId) runs = runs.filter((r) => String(r.app.id) === appId);
    const perPage = Math.min(Number(input.query.get('per_page') ?? 30), 100);
    const page = Math.max(Number(input.query.get('page') ?? 1), 1);
    const shown = runs.slice((page - 1) * perPage, page * perPage);
    return {
      status: 200,
      body: { total_count: runs.length, check_runs: await Promise.all(shown.map((r) => checkRunJson(core, repo, r))) },
    };
  },

  'checks/list-suites-for-ref': async (core, input) => {
    const repo = core.repoFor(input, 'read', 'checks');
    const sha = await commitOrFail(core, repo, input.params.ref ?? '', 404);
    const suites = repo.checkSuites.filter((s) => s.headSha === sha);
    return {
      status: 200,
      body: {
        total_count: suites.length,
        check_suites: await Promise.all(suites.map((s) => suiteJson(core, repo, s))),
      },
    };
  },

  'repos/create-commit-status': async (core, input) => {
    const repo = core.repoFor(input, 'write', 'statuses');
    const sha = await commitOrFail(core, repo, input.params.sha ?? '');
    const context = typeof input.body.context === 'string' ? input.body.context : 'default';
    if (repo.statuses.filter((s) => s.sha === sha && s.context === context).length >= 1000)
      throw new TwinError(422, 'Validation Failed', [
        {
          resource: 'Status',
          code: 'custom',
          message: 'This SHA and context has reached the maximum number of statuses.',
        },
      ]);
    const status: TwinStatus = {
      id: core.state.nextId(),
      sha,
      state: input.body.state as TwinStatus['state'],
      context,
      description: typeof input.body.description === 'string' ? input.body.description : null,
      targetUrl: typeof input.body.target_url === 'string' ? input.body.target_url : null,
      creator: core.actingUser(input),
      createdAt: new Date(),
    };
    repo.statuses.push(status);
    core.webhooks.send('status', { ...(await statusEvent(core, repo, status)), ...core.envelope(repo, input) });
    return { status: 201, body: await statusJson(core, repo, status) };
  },

  'repos/get-combined-status-for-ref': async (core, input) => {
    const repo = core.repoFor(input, 'read', 'statuses');
    const sha = await commitOrFail(core, repo, input.params.ref ?? '', 404);
    const statuses = latestStatuses(repo, sha);
    const repoUrl = `${core.urls.api}/repos/${repo.owner.login}/${repo.name}`;
    return {
      status: 200,
      body: {
        state: combinedState(statuses),
        statuses: await Promise.all(statuses.map((s) => statusJson(core, repo, s))),
        sha,
        total_count: statuses.length,
        repository: repoJson(repo, core.urls),
        commit_url: `${repoUrl}/commits/${sha}`,
        url: `${repoUrl}/commits/${sha}/status`,
      },
    };
  },

  'repos/list-commit-statuses-for-ref': async (core, input) => {
    const repo = core.repoFor(input, 'read', 'statuses');
    const sha = await commitOrFail(core, repo, input.params.ref ?? '', 404);
    const all = repo.statuses.filter((s) => s.sha === sha).reverse();
    const base = `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/commits/${input.params.ref}/statuses`;
    return paginate(await Promise.all(all.map((s) => statusJson(core, repo, s))), input.query, base);
  },
};
