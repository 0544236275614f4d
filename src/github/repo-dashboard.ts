/**
 * The repository dashboard issue (opt-in with `dashboard: true`, as Renovate's Dependency
 * Dashboard): one issue per repository that lists its running and waiting runs with their
 * reasons, and the week's finished runs, each recent failure with a box that, ticked by someone
 * with write access, retries it. Switchyard finds the issue again by a hidden marker, rewrites it
 * at most once per interval, and never when nothing changed.
 */
import { createHash } from 'node:crypto';
import { parseRepoConfig } from '../config/repo.ts';
import type { Logger } from '../log/logger.ts';
import type { Database } from '../store/db.ts';
import type { Store } from '../store/records.ts';
import type { RunRecord } from '../domain/run.ts';
import { repoParams, statusOf, type ClientFactory } from './client.ts';
import { formatDuration } from '../domain/duration.ts';

export const DASHBOARD_MARKER = '<!-- switchyard:dashboard -->';
export const DASHBOARD_TITLE = 'Switchyard Dashboard';

/** One line of text from an issue title: no newlines, no way to close the list item early. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 120);

const RETRY_BOX = /^- \[( |x|X)\] <!-- retry:(\d+) -->/gm;

/** The dashboard issue's body. Pure. */
export function renderDashboard(live: readonly RunRecord[], finished: readonly RunRecord[], now: Date): string {
  const lines = [
    DASHBOARD_MARKER,
    "This issue lists what Switchyard does in this repository, and is kept up to date. Tick a box under **Recent failures** to run that issue's agent again (people with write access).",
    '',
  ];
  const running = live.filter((r) => r.state === 'running');
  const waiting = live.filter((r) => r.state !== 'running');
  lines.push('## Running', '');
  if (running.length === 0) lines.push('Nothing is running.');
  for (const run of running) {
    const since = run.startedAt ? `, for ${formatDuration(now.getTime() - run.startedAt.getTime())}` : '';
    lines.push(
      `- #${run.issueNumber} ${oneLine(run.trigger.issue.title)}: \`${run.agent}\`, attempt ${run.attempt}${since}`,
    );
  }
  lines.push('', '## Waiting', '');
  if (waiting.length === 0) lines.push('Nothing is waiting.');
  for (const run of waiting) {
    const why =
      run.state === 'waiting' && run.waitingReason
        ? run.waitingReason
        : run.dispatchedAt
          ? 'handed to a worker'
          : 'queued: waits for the batch to be planned or a free slot';
    lines.push(`- #${run.issueNumber} ${oneLine(run.trigger.issue.title)}: ${oneLine(why)}`);
  }
  // Only an issue's newest run counts: a failure that a later run fixed is not listed as one.
  const newest = new Map<number, RunRecord>();
  for (const run of finished)
    if (!newest.has(run.issueNumber) && !live.some((l) => l.issueNumber === run.issueNumber))
      newest.set(run.issueNumber, run);
  const failures = [...newest.values()].filter((r) => r.state !== 'succeeded' && r.state !== 'cancelled');
  const done = [...newest.values()].filter((r) => r.state === 'succeeded' || r.state === 'cancelled');
  lines.push('', '## Recent failures', '');
  if (failures.length === 0) lines.push('No run failed in the last week.');
  for (const run of failures)
    lines.push(
      `- [ ] <!-- retry:${run.issueNumber} --> #${run.issueNumber} ${oneLine(run.trigger.issue.title)}: ${run.state.replace('_', ' ')}${run.reason ? `, ${oneLine(run.reason)}` : ''}`,
    );
  lines.push('', '## Finished this week', '');
  if (done.length === 0) lines.push('None yet.');
  for (const run of done) {
    const pr =
      run.pullRequestNumber !== null
        ? ` #${run.pullRequestNumber}${run.pullRequestState && run.pullRequestState !== 'open' ? ` (${run.pullRequestState})` : ''}`
        : '';
    lines.push(`- #${run.issueNumber} ${oneLine(run.trigger.issue.title)}: ${run.state}${pr}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The issues whose retry box went from empty to ticked between two versions of the body. Pure. */
export function tickedRetries(before: string, after: string): number[] {
  const boxes = (text: string) => new Map([...text.matchAll(RETRY_BOX)].map((m) => [Number(m[2]), m[1] !== ' ']));
  const was = boxes(before);
  return [...boxes(after)].filter(([issue, ticked]) => ticked && was.get(issue) === false).map(([issue]) => issue);
}

export function isDashboardBody(body: string | null | undefined): boolean {
  return (body ?? '').startsWith(DASHBOARD_MARKER);
}

export interface RepoDashboardOptions {
  db: Database;
  store: Store;
  clientFor: ClientFactory;
  /** The least time between two writes of one repository's dashboard. */
  intervalMs: number;
  log: Logger;
}

/** Keeps the dashboard issues of the repositories that asked for one. */
export class RepoDashboards {
  readonly #options: RepoDashboardOptions;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #writing: Promise<void> = Promise.resolve();

  constructor(options: RepoDashboardOptions) {
    this.#options = options;
  }

  /** Asks for the repository's dashboard to be written soon, if its configuration wants one. */
  refresh(run: RunRecord): void {
    const parsed = parseRepoConfig(run.config);
    if (!parsed.ok || !parsed.config.dashboard || this.#timers.has(run.repo)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(run.repo);
      this.#writing = this.#writing.then(() =>
        this.#write(run).catch((error: unknown) =>
          this.#options.log.warn({ err: error, repo: run.repo }, 'could not write the dashboard issue'),
        ),
      );
    }, this.#options.intervalMs);
    timer.unref();
    this.#timers.set(run.repo, timer);
  }

  /** Writes the dashboard again even if nothing changed: a ticked box is cleared. */
  async rewrite(run: RunRecord): Promise<void> {
    await this.#options.db.query('update switchyard_repo_dashboards set body_hash = null where repo = $1', [run.repo]);
    this.refresh(run);
  }

  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  async #write(run: RunRecord): Promise<void> {
    const { db, store, clientFor } = this.#options;
    const now = new Date();
    const live = await store.liveRuns(run.repo);
    const finished = await store.finishedSince(run.repo, new Date(now.getTime() - 7 * 24 * 60 * 60 * 1000), 30);
    const body = renderDashboard(live, finished, now);
    const hash = createHash('sha256').update(body).digest('hex');
    let [known] = await db.query<{ issue_number: number; body_hash: string | null }>(
      'select issue_number, body_hash from switchyard_repo_dashboards where repo = $1',
      [run.repo],
    );
    if (known?.body_hash === hash) return;
    if (!known) {
      // A claim first: of a web and a worker process (or two workers), one opens the issue.
      const claimed = await db.query(
        'insert into switchyard_repo_dashboards (repo, issue_number) values ($1, 0) on conflict (repo) do nothing returning repo',
        [run.repo],
      );
      if (claimed.length === 0) return this.refresh(run);
      known = { issue_number: 0, body_hash: null };
    } else if (known.issue_number === 0) {
      // Another process is opening it: write this state once it has.
      return this.refresh(run);
    }
    const octokit = await clientFor(run.installationId);
    const params = repoParams(run.trigger.repo);
    let issueNumber: number | undefined = known.issue_number || undefined;
    if (issueNumber !== undefined) {
      try {
        await octokit.rest.issues.update({ ...params, issue_number: issueNumber, body, state: 'open' });
      } catch (error) {
        // Deleted or transferred: open a new one.
        if (statusOf(error) !== 404 && statusOf(error) !== 410) throw error;
        issueNumber = undefined;
      }
    }
    if (issueNumber === undefined)
      issueNumber = (await octokit.rest.issues.create({ ...params, title: DASHBOARD_TITLE, body })).data.number;
    await db.query(
      `insert into switchyard_repo_dashboards (repo, issue_number, body_hash) values ($1, $2, $3)
       on conflict (repo) do update set issue_number = excluded.issue_number, body_hash = excluded.body_hash`,
      [run.repo, issueNumber, hash],
    );
  }
}
