/** Reads of `switchyard_runs`: what the jobs, the dashboard and the metrics ask of the runs. */
import { LIVE_STATES, type RunRecord } from '../domain/run.ts';
import type { Database, Queryable } from './db.ts';
import { toRun, type RunRow } from './run-row.ts';

export class RunReads {
  protected readonly db: Database | Queryable;

  constructor(db: Database | Queryable) {
    this.db = db;
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>('select * from switchyard_runs where id = $1', [id]);
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async liveRunFor(repo: string, issueNumber: number): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
      `select * from switchyard_runs where repo = $1 and issue_number = $2 and state = any($3) limit 1`,
      [repo, issueNumber, LIVE_STATES],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** The newest run of an issue, in any state. */
  async latestRunFor(repo: string, issueNumber: number): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
      'select * from switchyard_runs where repo = $1 and issue_number = $2 order by created_at desc limit 1',
      [repo, issueNumber],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** The newest run of an issue, other than `exceptId`, that opened a pull request. */
  async lastRunWithPullRequest(repo: string, issueNumber: number, exceptId: string): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
      `select * from switchyard_runs where repo = $1 and issue_number = $2 and id <> $3 and pull_request_number is not null
       order by created_at desc limit 1`,
      [repo, issueNumber, exceptId],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** The newest run that opened or updated this pull request. */
  async runOfPullRequest(repo: string, pullRequestNumber: number): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
      'select * from switchyard_runs where repo = $1 and pull_request_number = $2 order by created_at desc limit 1',
      [repo, pullRequestNumber],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Live runs, and runs created since `since`, newest first: what the dashboard shows. */
  async dashboardRuns(since: Date, limit = 300): Promise<RunRecord[]> {
    const rows = await this.db.query<RunRow>(
      `select * from switchyard_runs where state = any($1) or created_at >= $2 or finished_at >= $2 order by created_at desc limit $3`,
      [LIVE_STATES, since, limit],
    );
    return rows.map(toRun);
  }

  /** The repository's runs that finished since `since`, newest first. */
  async finishedSince(repo: string, since: Date, limit = 20): Promise<RunRecord[]> {
    const rows = await this.db.query<RunRow>(
      `select * from switchyard_runs where repo = $1 and finished_at >= $2 and not (state = any($3)) order by finished_at desc limit $4`,
      [repo, since, LIVE_STATES, limit],
    );
    return rows.map(toRun);
  }

  async listRuns(filter: { repo?: string } = {}): Promise<RunRecord[]> {
    const rows = filter.repo
      ? await this.db.query<RunRow>('select * from switchyard_runs where repo = $1 order by created_at', [filter.repo])
      : await this.db.query<RunRow>('select * from switchyard_runs order by created_at');
    return rows.map(toRun);
  }

  /**
   * Live runs of a repository (queued, waiting or running), oldest first. With `acknowledged`,
   * only those whose trigger was answered on GitHub: a run is planned only after that, so that
   * its status comment exists before anything else writes to it.
   */
  async liveRuns(repo: string, options: { acknowledged?: boolean; windowClosed?: boolean } = {}): Promise<RunRecord[]> {
    const conditions = ['repo = $1', 'state = any($2)'];
    if (options.acknowledged) conditions.push('acknowledged_at is not null');
    // A batch is planned once its window is over: until then its runs wait for company.
    if (options.windowClosed) {
      conditions.push(`(batch_id is null or exists (select 1 from switchyard_batches b
        where b.id = batch_id and b.opened_at + b.window_ms * interval '1 millisecond' <= now()))`);
    }
    const rows = await this.db.query<RunRow>(
      `select * from switchyard_runs where ${conditions.join(' and ')} order by created_at`,
      [repo, LIVE_STATES],
    );
    return rows.map(toRun);
  }

  /** The most recent finished run of an issue. */
  async lastFinishedRun(repo: string, issueNumber: number): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
      `select * from switchyard_runs where repo = $1 and issue_number = $2 and state <> all($3) order by created_at desc limit 1`,
      [repo, issueNumber, LIVE_STATES],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Runs that hold a slot anywhere: running, or handed to the queue and not started yet. */
  async occupiedSlots(): Promise<number> {
    const rows = await this.db.query<{ count: string | number }>(
      `select count(*) as count from switchyard_runs where state = 'running' or (state = 'queued' and dispatched_at is not null)`,
    );
    return Number(rows[0]?.count ?? 0);
  }

  async startedSince(repo: string, since: Date): Promise<number> {
    const rows = await this.db.query<{ count: string | number }>(
      `select count(*) as count from switchyard_runs where repo = $1 and started_at >= $2`,
      [repo, since],
    );
    return Number(rows[0]?.count ?? 0);
  }

  /** US dollars that runs finished since `since` reported spending, of one repository or one agent (or both). */
  async spentSince(since: Date, of: { repo?: string; agent?: string }): Promise<number> {
    const rows = await this.db.query<{ spent: string | number | null }>(
      `select coalesce(sum((usage->>'costUsd')::numeric), 0) as spent from switchyard_runs
       where finished_at >= $1 and usage ? 'costUsd' and ($2::text is null or repo = $2) and ($3::text is null or agent = $3)`,
      [since, of.repo ?? null, of.agent ?? null],
    );
    return Number(rows[0]?.spent ?? 0);
  }

  /** Mean duration of the agent's last ten successful runs in the repository, if any. */
  async estimateMs(repo: string, agent: string): Promise<number | undefined> {
    const rows = await this.db.query<{ ms: string | number | null }>(
      `select avg(extract(epoch from (finished_at - started_at)) * 1000) as ms from (
         select started_at, finished_at from switchyard_runs
         where repo = $1 and agent = $2 and state = 'succeeded' and started_at is not null
         order by finished_at desc limit 10) recent`,
      [repo, agent],
    );
    const value = rows[0]?.ms;
    return value === null || value === undefined ? undefined : Math.round(Number(value));
  }

  async runsOfBatch(batchId: string): Promise<RunRecord[]> {
    const rows = await this.db.query<RunRow>('select * from switchyard_runs where batch_id = $1 order by created_at', [
      batchId,
    ]);
    return rows.map(toRun);
  }

  /** Of the given running runs, those whose cancel was requested, with the reason. */
  async cancelRequests(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.query<{ id: string; cancel_reason: string | null }>(
      `select id, cancel_reason from switchyard_runs where id = any($1::uuid[]) and cancel_requested_at is not null`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.cancel_reason ?? 'cancelled']));
  }

  /**
   * The runs whose pull request is open, one per issue (its newest run, when that one opened the
   * pull request): the pull requests Switchyard keeps mergeable.
   */
  async openPullRequests(repo: string): Promise<RunRecord[]> {
    const rows = await this.db.query<RunRow>(
      `select * from (
         select distinct on (issue_number) * from switchyard_runs where repo = $1 order by issue_number, created_at desc
       ) newest
       where pull_request_number is not null and coalesce(pull_request_state, 'open') = 'open' order by pull_request_number`,
      [repo],
    );
    return rows.map(toRun);
  }

  /**
   * The run that pushed `sha` as the head of its issue's open pull request, when it is still the
   * issue's newest run: the one whose CI results are Switchyard's to act on.
   */
  async runOfOpenHead(repo: string, sha: string): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
      `select * from (
         select distinct on (issue_number) * from switchyard_runs where repo = $1 order by issue_number, created_at desc
       ) newest
       where head_sha = $2 and pull_request_number is not null and coalesce(pull_request_state, 'open') = 'open'`,
      [repo, sha],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Rounds of fixes for failing checks, by how each ended (`running` while under way): for the metrics and the dashboard. */
  async checkRoundOutcomes(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ outcome: string | null; count: string | number }>(
      `select ci_checks->'rounds'->(check_rounds - 1)->>'result' as outcome, count(*) as count from switchyard_runs
       where trigger->>'kind' = 'checks' group by 1`,
    );
    const counts: Record<string, number> = {};
    for (const row of rows)
      counts[row.outcome ?? 'running'] = (counts[row.outcome ?? 'running'] ?? 0) + Number(row.count);
    return counts;
  }

  /** Whether any Switchyard pull request of the repository is open: a push there may concern one. */
  async hasOpenPullRequests(repo: string): Promise<boolean> {
    const rows = await this.db.query<{ open: boolean }>(
      `select exists (select 1 from switchyard_runs where repo = $1 and pull_request_number is not null
                      and coalesce(pull_request_state, 'open') = 'open') as open`,
      [repo],
    );
    return rows[0]?.open ?? false;
  }

  /** The newest run of an issue that works on `branch`. */
  async runOfBranch(repo: string, branch: string): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
      'select * from switchyard_runs where repo = $1 and branch = $2 order by created_at desc limit 1',
      [repo, branch],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** How many runs are queued, waiting and running: for the metrics. */
  async liveRunCounts(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ state: string; count: string | number }>(
      `select state, count(*) as count from switchyard_runs where state in ('queued', 'waiting', 'running') group by state`,
    );
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
  }

  /** Runs whose job was sent (queued and dispatched, or running), with any cancel asked for: what the reconciliation sweep checks. */
  async dispatchedRuns(): Promise<Array<{ run: RunRecord; cancelReason: string | undefined }>> {
    const rows = await this.db.query<RunRow & { cancel_requested_at: Date | null; cancel_reason: string | null }>(
      `select * from switchyard_runs where state = 'running' or (state = 'queued' and dispatched_at is not null)`,
    );
    return rows.map((row) => ({
      run: toRun(row),
      cancelReason: row.cancel_requested_at ? (row.cancel_reason ?? 'a cancel was asked for') : undefined,
    }));
  }
}
