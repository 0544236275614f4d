/**
 * CI results on commits as GitHub keeps them: check suites (one per app and commit), their check
 * runs, and commit statuses; what a commit's combined state is; and the JSON GitHub gives them in
 * REST answers and in the `check_suite`, `check_run` and `status` webhooks.
 */
import type { TwinCore } from './core.ts';
import { repoJson, userJson, type Urls } from './payloads.ts';
import type { CheckConclusion, TwinAppIdentity, TwinCheckRun, TwinCheckSuite, TwinRepo, TwinStatus } from './state.ts';

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);
const nodeId = (kind: string, id: number) => Buffer.from(`${kind}:${id}`).toString('base64');

/** Conclusions GitHub ranks above success: one of them in a suite is the suite's conclusion. */
const CONCLUSION_RANK: CheckConclusion[] = [
  'action_required',
  'cancelled',
  'timed_out',
  'failure',
  'startup_failure',
  'stale',
  'neutral',
  'success',
  'skipped',
];

/** A check run that keeps a pull request from being green: GitHub's "failing" conclusions. */
export function isFailing(conclusion: CheckConclusion | null): boolean {
  return (
    conclusion === 'failure' ||
    conclusion === 'timed_out' ||
    conclusion === 'cancelled' ||
    conclusion === 'action_required' ||
    conclusion === 'startup_failure'
  );
}

/** The newest check run of each name on a commit, as GitHub's `filter=latest` lists them. */
export function latestRuns(repo: TwinRepo, sha: string): TwinCheckRun[] {
  const byName = new Map<string, TwinCheckRun>();
  for (const run of repo.checkRuns) {
    if (run.headSha !== sha) continue;
    const key = `${run.app.id}/${run.name}`;
    const seen = byName.get(key);
    if (!seen || seen.id < run.id) byName.set(key, run);
  }
  return [...byName.values()].sort((a, b) => b.id - a.id);
}

/** The newest status of each context on a commit. */
export function latestStatuses(repo: TwinRepo, sha: string): TwinStatus[] {
  const byContext = new Map<string, TwinStatus>();
  for (const status of repo.statuses) if (status.sha === sha) byContext.set(status.context, status);
  return [...byContext.values()].sort((a, b) => b.id - a.id);
}

/** The combined state of a commit's statuses: `failure` over `pending` over `success`; `pending` with none. */
export function combinedState(statuses: readonly TwinStatus[]): 'failure' | 'pending' | 'success' {
  if (statuses.some((s) => s.state === 'failure' || s.state === 'error')) return 'failure';
  if (statuses.length === 0 || statuses.some((s) => s.state === 'pending')) return 'pending';
  return 'success';
}

/**
 * How a commit's CI stands for a pull request's `mergeable_state`: `failing` when a check run or
 * status fails, `pending` while one runs, `passing` otherwise (also when there is no CI at all).
 */
export function ciOf(repo: TwinRepo, sha: string): 'failing' | 'pending' | 'passing' {
  const runs = latestRuns(repo, sha);
  const statuses = latestStatuses(repo, sha);
  if (runs.some((run) => isFailing(run.conclusion))) return 'failing';
  if (statuses.some((s) => s.state === 'failure' || s.state === 'error')) return 'failing';
  if (runs.some((run) => run.status !== 'completed') || statuses.some((s) => s.state === 'pending')) return 'pending';
  return 'passing';
}

/** The newest run of each name in a suite: what its status, conclusion and count are made of. */
export function suiteRuns(repo: TwinRepo, suite: TwinCheckSuite): TwinCheckRun[] {
  return latestRuns(repo, suite.headSha).filter((run) => run.suiteId === suite.id);
}

export function suiteStatus(repo: TwinRepo, suite: TwinCheckSuite): 'queued' | 'in_progress' | 'completed' {
  const runs = suiteRuns(repo, suite);
  if (runs.length === 0) return 'queued';
  return runs.every((run) => run.status === 'completed') ? 'completed' : 'in_progress';
}

export function suiteConclusion(repo: TwinRepo, suite: TwinCheckSuite): CheckConclusion | null {
  if (suiteStatus(repo, suite) !== 'completed') return null;
  const conclusions = new Set(suiteRuns(repo, suite).map((run) => run.conclusion));
  return CONCLUSION_RANK.find((conclusion) => conclusions.has(conclusion)) ?? 'success';
}

export function appJson(app: TwinAppIdentity, urls: Urls) {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId('App', app.id),
    owner: userJson(app.owner, urls),
    name: app.name,
    description: null,
    external_url: `${urls.web}/apps/${app.slug}`,
    html_url: `${urls.web}/apps/${app.slug}`,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    permissions: app.permissions,
    events: app.events,
  };
}

/** The open pull requests whose head is `sha` on the suite's branch, as GitHub lists them with a suite. */
async function pullsOf(core: TwinCore, repo: TwinRepo, sha: string) {
  const repoUrl = `${core.urls.api}/repos/${repo.owner.login}/${repo.name}`;
  const side = { id: repo.id, url: repoUrl, name: repo.name };
  const found = [];
  for (const issue of repo.issues.values()) {
    const pull = issue.pullRequest;
    if (!pull || issue.state !== 'open') continue;
    if ((await core.git.branchSha(repo.owner.login, repo.name, pull.head)) !== sha) continue;
    const baseSha = (await core.git.branchSha(repo.owner.login, repo.name, pull.base)) ?? '';
    found.push({
      url: `${repoUrl}/pulls/${issue.number}`,
      id: pull.id,
      number: issue.number,
      head: { ref: pull.head, sha, repo: side },
      base: { ref: pull.base, sha: baseSha, repo: side },
    });
  }
  return found;
}

async function headCommitOf(core: TwinCore, repo: TwinRepo, sha: string) {
  const [commit] = await core.git.commitsBetween(repo.owner.login, repo.name, null, sha, 1);
  return {
    id: sha,
    tree_id: commit?.tree ?? '',
    message: commit?.message ?? '',
    timestamp: commit?.committer.date ?? new Date().toISOString(),
    author: { name: commit?.author.name ?? '', email: commit?.author.email ?? '' },
    committer: { name: commit?.committer.name ?? '', email: commit?.committer.email ?? '' },
  };
}

/** The fields of a suite that a check run carries too (its `check_suite`). */
function suiteFields(core: TwinCore, repo: TwinRepo, suite: TwinCheckSuite, pulls: unknown[]) {
  return {
    id: suite.id,
    node_id: nodeId('CheckSuite', suite.id),
    head_branch: suite.headBranch,
    head_sha: suite.headSha,
    status: suiteStatus(repo, suite),
    conclusion: suiteConclusion(repo, suite),
    url: `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/check-suites/${suite.id}`,
    before: null,
    after: suite.headSha,
    pull_requests: pulls,
    app: appJson(suite.app, core.urls),
    created_at: iso(suite.createdAt),
    updated_at: iso(suite.updatedAt),
  };
}

export async function suiteJson(core: TwinCore, repo: TwinRepo, suite: TwinCheckSuite) {
  return {
    ...suiteFields(core, repo, suite, await pullsOf(core, repo, suite.headSha)),
    repository: repoJson(repo, core.urls),
    rerequestable: true,
    runs_rerequestable: true,
    latest_check_runs_count: suiteRuns(repo, suite).length,
    check_runs_url: `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/check-suites/${suite.id}/check-runs`,
    head_commit: await headCommitOf(core, repo, suite.headSha),
  };
}

export async function checkRunJson(core: TwinCore, repo: TwinRepo, run: TwinCheckRun) {
  const repoUrl = `${core.urls.api}/repos/${repo.owner.login}/${repo.name}`;
  const suite = repo.checkSuites.find((s) => s.id === run.suiteId);
  const pulls = await pullsOf(core, repo, run.headSha);
  return {
    id: run.id,
    node_id: nodeId('CheckRun', run.id),
    head_sha: run.headSha,
    external_id: run.externalId ?? '',
    url: `${repoUrl}/check-runs/${run.id}`,
    html_url: `${core.urls.web}/${repo.owner.login}/${repo.name}/runs/${run.id}`,
    details_url: run.detailsUrl ?? `${core.urls.web}/${repo.owner.login}/${repo.name}/runs/${run.id}`,
    status: run.status,
    conclusion: run.conclusion,
    started_at: iso(run.startedAt),
    completed_at: iso(run.completedAt),
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.annotations.length,
      annotations_url: `${repoUrl}/check-runs/${run.id}/annotations`,
    },
    name: run.name,
    check_suite: suite ? suiteFields(core, repo, suite, pulls) : null,
    app: appJson(run.app, core.urls),
    pull_requests: pulls,
  };
}

export async function statusJson(core: TwinCore, repo: TwinRepo, status: TwinStatus) {
  const repoUrl = `${core.urls.api}/repos/${repo.owner.login}/${repo.name}`;
  return {
    url: `${repoUrl}/statuses/${status.sha}`,
    avatar_url: null,
    id: status.id,
    node_id: nodeId('StatusContext', status.id),
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: iso(status.createdAt),
    updated_at: iso(status.createdAt),
    creator: userJson(status.creator, core.urls),
  };
}

/** The `status` webhook: the status, the commit it is on, and the branches whose head that commit is. */
export async function statusEvent(core: TwinCore, repo: TwinRepo, status: TwinStatus) {
  const { owner, name } = { owner: repo.owner.login, name: repo.name };
  const repoUrl = `${core.urls.api}/repos/${owner}/${name}`;
  const [commit] = await core.git.commitsBetween(owner, name, null, status.sha, 1);
  const parents = await core.git.parentsOf(owner, name, status.sha);
  const branches = [...(await core.git.branches(owner, name))]
    .filter(([, sha]) => sha === status.sha)
    .map(([branch, sha]) => ({ name: branch, commit: { sha, url: `${repoUrl}/commits/${sha}` }, protected: false }));
  const person = (who: { name: string; email: string; date: string } | undefined) => ({
    name: who?.name ?? '',
    email: who?.email ?? '',
    date: who?.date ?? new Date().toISOString(),
  });
  return {
    id: status.id,
    sha: status.sha,
    name: `${owner}/${name}`,
    target_url: status.targetUrl,
    avatar_url: null,
    context: status.context,
    description: status.description,
    state: status.state,
    commit: {
      sha: status.sha,
      node_id: nodeId('Commit', status.id),
      commit: {
        author: person(commit?.author),
        committer: person(commit?.committer),
        message: commit?.message ?? '',
        tree: { sha: commit?.tree ?? '', url: `${repoUrl}/git/trees/${commit?.tree ?? ''}` },
        url: `${repoUrl}/git/commits/${status.sha}`,
        comment_count: 0,
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      },
      url: `${repoUrl}/commits/${status.sha}`,
      html_url: `${core.urls.web}/${owner}/${name}/commit/${status.sha}`,
      comments_url: `${repoUrl}/commits/${status.sha}/comments`,
      author: null,
      committer: null,
      parents: parents.map((sha) => ({
        sha,
        url: `${repoUrl}/commits/${sha}`,
        html_url: `${core.urls.web}/${owner}/${name}/commit/${sha}`,
      })),
    },
    branches,
    created_at: iso(status.createdAt),
    updated_at: iso(status.createdAt),
  };
}
