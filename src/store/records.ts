/** The records of deliveries and runs, and the only SQL that touches them. */
import type { Database, Queryable } from './db.ts';
import {
  LIVE_STATES,
  type PromptComment,
  type PullRequestState,
  type RunOutcomeFields,
  type RunRecord,
  type RunTrigger,
} from '../domain/run.ts';
import { toRun, type RunRow } from './run-row.ts';

export class Store {
  readonly #db: Database | Queryable;

  constructor(db: Database | Queryable) {
    this.#db = db;
  }

  /** The same records, read and written inside the transaction `tx`. */
  within(tx: Queryable): Store {
    return new Store(tx);
  }

  /** `work` in one transaction; already inside one, in that one. */
  async #transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return 'transaction' in this.#db ? this.#db.transaction(work) : work(this.#db);
  }

  /** Records a webhook delivery id; `false` when it was seen before (a redelivery). */
  async recordDelivery(id: string, event: string): Promise<boolean> {
    const rows = await this.#db.query(
      'insert into switchyard_deliveries (id, event) values ($1, $2) on conflict do nothing returning id',
      [id, event],
    );
    return rows.length === 1;
  }

  async forgetDelivery(id: string): Promise<void> {
    await this.#db.query('delete from switchyard_deliveries where id = $1', [id]);
  }

  /**
   * Creates a queued run for a trigger, or returns `undefined` when the issue already has a live
   * run — the decision holds across processes because the database enforces it.
   */
  async createRun(
    trigger: RunTrigger,
    branch: string,
    plan: { batchId: string; priority: number; config: unknown; attempt?: number; comments?: readonly PromptComment[] },
  ): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      `insert into switchyard_runs (repo, issue_number, installation_id, agent, state, branch, trigger, batch_id, priority, config, attempt, comments)
       values ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9, $10, $11)
       on conflict do nothing
       returning *`,
      [
        trigger.repo.fullName,
        trigger.issue.number,
        trigger.installationId,
        trigger.agent,
        branch,
        JSON.stringify(trigger),
        plan.batchId,
        plan.priority,
        JSON.stringify(plan.config),
        plan.attempt ?? 1,
        JSON.stringify(plan.comments ?? []),
      ],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>('select * from switchyard_runs where id = $1', [id]);
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async liveRunFor(repo: string, issueNumber: number): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      `select * from switchyard_runs where repo = $1 and issue_number = $2 and state = any($3) limit 1`,
      [repo, issueNumber, LIVE_STATES],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** The newest run of an issue, in any state. */
  async latestRunFor(repo: string, issueNumber: number): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      'select * from switchyard_runs where repo = $1 and issue_number = $2 order by created_at desc limit 1',
      [repo, issueNumber],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** The newest run of an issue, other than `exceptId`, that opened a pull request. */
  async lastRunWithPullRequest(repo: string, issueNumber: number, exceptId: string): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      `select * from switchyard_runs where repo = $1 and issue_number = $2 and id <> $3 and pull_request_number is not null
       order by created_at desc limit 1`,
      [repo, issueNumber, exceptId],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Records what became of a pull request Switchyard opened; returns the run that opened it. */
  async setPullRequestState(
    repo: string,
    pullRequestNumber: number,
    state: PullRequestState,
  ): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      `update switchyard_runs set pull_request_state = $3
       where id = (select id from switchyard_runs where repo = $1 and pull_request_number = $2 order by created_at desc limit 1) returning *`,
      [repo, pullRequestNumber, state],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** The newest run that opened or updated this pull request. */
  async runOfPullRequest(repo: string, pullRequestNumber: number): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      'select * from switchyard_runs where repo = $1 and pull_request_number = $2 order by created_at desc limit 1',
      [repo, pullRequestNumber],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Live runs, and runs created since `since`, newest first: what the dashboard shows. */
  async dashboardRuns(since: Date, limit = 300): Promise<RunRecord[]> {
    const rows = await this.#db.query<RunRow>(
      `select * from switchyard_runs where state = any($1) or created_at >= $2 or finished_at >= $2 order by created_at desc limit $3`,
      [LIVE_STATES, since, limit],
    );
    return rows.map(toRun);
  }

  /** Issues whose newest run ended between `withinMs` and `graceMs` ago: their final status should be written. */
  async recentlyEnded(
    withinMs: number,
    graceMs: number,
    limit = 50,
  ): Promise<Array<{ runId: string; repo: string; issueNumber: number }>> {
    const rows = await this.#db.query<{ id: string; repo: string; issue_number: number }>(
      `select r.id, r.repo, r.issue_number from switchyard_runs r
       where r.finished_at > now() - ($1::integer * interval '1 millisecond') and r.finished_at < now() - ($2::integer * interval '1 millisecond')
         and not exists (select 1 from switchyard_runs n where n.repo = r.repo and n.issue_number = r.issue_number and n.created_at > r.created_at)
       order by r.finished_at desc limit $3`,
      [withinMs, graceMs, limit],
    );
    return rows.map((row) => ({ runId: row.id, repo: row.repo, issueNumber: row.issue_number }));
  }

  /** The repository's runs that finished since `since`, newest first. */
  async finishedSince(repo: string, since: Date, limit = 20): Promise<RunRecord[]> {
    const rows = await this.#db.query<RunRow>(
      `select * from switchyard_runs where repo = $1 and finished_at >= $2 and not (state = any($3)) order by finished_at desc limit $4`,
      [repo, since, LIVE_STATES, limit],
    );
    return rows.map(toRun);
  }

  async listRuns(filter: { repo?: string } = {}): Promise<RunRecord[]> {
    const rows = filter.repo
      ? await this.#db.query<RunRow>('select * from switchyard_runs where repo = $1 order by created_at', [filter.repo])
      : await this.#db.query<RunRow>('select * from switchyard_runs order by created_at');
    return rows.map(toRun);
  }

  /** Ends a run that never got to report, keeping what it had recorded. */
  async failRun(id: string, reason: string, state: 'failed' | 'cancelled' = 'failed'): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      `update switchyard_runs set state = $3, reason = $2, finished_at = now()
       where id = $1 and state in ('queued', 'waiting', 'running') returning *`,
      [id, reason, state],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
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
    const rows = await this.#db.query<RunRow>(
      `select * from switchyard_runs where ${conditions.join(' and ')} order by created_at`,
      [repo, LIVE_STATES],
    );
    return rows.map(toRun);
  }

  async acknowledgeRun(id: string): Promise<void> {
    await this.#db.query('update switchyard_runs set acknowledged_at = now() where id = $1', [id]);
  }

  /** The most recent finished run of an issue. */
  async lastFinishedRun(repo: string, issueNumber: number): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      `select * from switchyard_runs where repo = $1 and issue_number = $2 and state <> all($3) order by created_at desc limit 1`,
      [repo, issueNumber, LIVE_STATES],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Runs that hold a slot anywhere: running, or handed to the queue and not started yet. */
  async occupiedSlots(): Promise<number> {
    const rows = await this.#db.query<{ count: string | number }>(
      `select count(*) as count from switchyard_runs where state = 'running' or (state = 'queued' and dispatched_at is not null)`,
    );
    return Number(rows[0]?.count ?? 0);
  }

  async startedSince(repo: string, since: Date): Promise<number> {
    const rows = await this.#db.query<{ count: string | number }>(
      `select count(*) as count from switchyard_runs where repo = $1 and started_at >= $2`,
      [repo, since],
    );
    return Number(rows[0]?.count ?? 0);
  }

  /** US dollars that runs finished since `since` reported spending, of one repository or one agent (or both). */
  async spentSince(since: Date, of: { repo?: string; agent?: string }): Promise<number> {
    const rows = await this.#db.query<{ spent: string | number | null }>(
      `select coalesce(sum((usage->>'costUsd')::numeric), 0) as spent from switchyard_runs
       where finished_at >= $1 and usage ? 'costUsd' and ($2::text is null or repo = $2) and ($3::text is null or agent = $3)`,
      [since, of.repo ?? null, of.agent ?? null],
    );
    return Number(rows[0]?.spent ?? 0);
  }

  /** Mean duration of the agent's last ten successful runs in the repository, if any. */
  async estimateMs(repo: string, agent: string): Promise<number | undefined> {
    const rows = await this.#db.query<{ ms: string | number | null }>(
      `select avg(extract(epoch from (finished_at - started_at)) * 1000) as ms from (
         select started_at, finished_at from switchyard_runs
         where repo = $1 and agent = $2 and state = 'succeeded' and started_at is not null
         order by finished_at desc limit 10) recent`,
      [repo, agent],
    );
    const value = rows[0]?.ms;
    return value === null || value === undefined ? undefined : Math.round(Number(value));
  }

  async setDependencies(id: string, dependsOn: readonly number[], foreign: readonly string[]): Promise<void> {
    await this.#db.query(
      'update switchyard_runs set depends_on = $2, foreign_dependencies = $3, dependencies_read_at = now() where id = $1',
      [id, dependsOn, foreign],
    );
  }

  async runsOfBatch(batchId: string): Promise<RunRecord[]> {
    const rows = await this.#db.query<RunRow>('select * from switchyard_runs where batch_id = $1 order by created_at', [
      batchId,
    ]);
    return rows.map(toRun);
  }

  /**
   * Cancels an issue's live run. A run that has not started ends here (`cancelled`); a running
   * one is flagged for its worker (`requested`), which stops the agent and reports.
   */
  async cancelLiveRun(
    repo: string,
    issueNumber: number,
    reason: string,
  ): Promise<{ result: 'cancelled' | 'requested'; run: RunRecord } | undefined> {
    const ended = await this.#db.query<RunRow>(
      `update switchyard_runs set state = 'cancelled', reason = $3, finished_at = now()
       where repo = $1 and issue_number = $2 and state in ('queued', 'waiting') returning *`,
      [repo, issueNumber, `Cancelled before it started: ${reason}.`],
    );
    if (ended[0]) return { result: 'cancelled', run: toRun(ended[0]) };
    const flagged = await this.#db.query<RunRow>(
      `update switchyard_runs set cancel_requested_at = now(), cancel_reason = $3
       where repo = $1 and issue_number = $2 and state = 'running' and cancel_requested_at is null returning *`,
      [repo, issueNumber, reason],
    );
    return flagged[0] ? { result: 'requested', run: toRun(flagged[0]) } : undefined;
  }

  /** Of the given running runs, those whose cancel was requested, with the reason. */
  async cancelRequests(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#db.query<{ id: string; cancel_reason: string | null }>(
      `select id, cancel_reason from switchyard_runs where id = any($1::uuid[]) and cancel_requested_at is not null`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.cancel_reason ?? 'cancelled']));
  }

  /** The newest run of an issue that works on `branch`. */
  async runOfBranch(repo: string, branch: string): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      'select * from switchyard_runs where repo = $1 and branch = $2 order by created_at desc limit 1',
      [repo, branch],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async setRescuedBranch(id: string, branch: string): Promise<void> {
    await this.#db.query('update switchyard_runs set rescued_branch = $2 where id = $1', [id, branch]);
  }

  /** How many runs are queued, waiting and running: for the metrics. */
  async liveRunCounts(): Promise<Record<string, number>> {
    const rows = await this.#db.query<{ state: string; count: string | number }>(
      `select state, count(*) as count from switchyard_runs where state in ('queued', 'waiting', 'running') group by state`,
    );
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
  }

  /** The agent's newest line of output, while the run runs. */
  async setProgress(id: string, line: string): Promise<void> {
    await this.#db.query(`update switchyard_runs set progress = $2 where id = $1 and state = 'running'`, [id, line]);
  }

  /** Runs whose job was sent (queued and dispatched, or running), with any cancel asked for: what the reconciliation sweep checks. */
  async dispatchedRuns(): Promise<Array<{ run: RunRecord; cancelReason: string | undefined }>> {
    const rows = await this.#db.query<RunRow & { cancel_requested_at: Date | null; cancel_reason: string | null }>(
      `select * from switchyard_runs where state = 'running' or (state = 'queued' and dispatched_at is not null)`,
    );
    return rows.map((row) => ({
      run: toRun(row),
      cancelReason: row.cancel_requested_at ? (row.cancel_reason ?? 'a cancel was asked for') : undefined,
    }));
  }

  /** Puts a run that could not start (low disk) back to waiting, for the scheduler to try later. */
  async requeueRun(id: string, reason: string): Promise<void> {
    await this.#db.query(
      `update switchyard_runs set state = 'waiting', waiting_reason = $2, dispatched_at = null, started_at = null where id = $1 and state in ('queued', 'running')`,
      [id, reason],
    );
  }

  async recordChecks(id: string, checks: unknown): Promise<void> {
    await this.#db.query('update switchyard_runs set checks = $2 where id = $1', [id, JSON.stringify(checks)]);
  }

  /** Holds a run with a reason; `true` when the reason changed (the comment needs an update). */
  async holdRun(id: string, reason: string): Promise<boolean> {
    const rows = await this.#db.query(
      `update switchyard_runs set state = 'waiting', waiting_reason = $2, dispatched_at = null
       where id = $1 and state in ('queued', 'waiting') and dispatched_at is null and waiting_reason is distinct from $2 returning id`,
      [id, reason],
    );
    return rows.length === 1;
  }

  /** Hands a run to the queue: queued again, with the branch it starts from. */
  async dispatchRun(id: string, base: string | null): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      `update switchyard_runs set state = 'queued', waiting_reason = null, dispatched_at = now(), base_branch = $2
       where id = $1 and state in ('queued', 'waiting') and dispatched_at is null returning *`,
      [id, base],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /**
   * A run whose job came back after its worker died or shut down: the interrupted attempt is
   * closed, and the run is queued as the next attempt. `undefined` when the run already ended.
   */
  async resumeInterrupted(id: string): Promise<RunRecord | undefined> {
    return this.#transaction(async (tx) => {
      const rows = await tx.query<RunRow>(
        `update switchyard_runs set state = 'queued', attempt = attempt + 1, started_at = null, cancel_requested_at = null, cancel_reason = null
         where id = $1 and state = 'running' returning *`,
        [id],
      );
      const run = rows[0];
      if (!run) return undefined;
      await tx.query(
        `update switchyard_attempts set ended_at = now(), outcome = 'interrupted' where run_id = $1 and attempt = $2 and ended_at is null`,
        [id, run.attempt - 1],
      );
      return toRun(run);
    });
  }

  async startAttempt(id: string, attempt: number, worker: string): Promise<void> {
    await this.#db.query(
      'insert into switchyard_attempts (run_id, attempt, worker) values ($1, $2, $3) on conflict (run_id, attempt) do update set worker = excluded.worker, started_at = now()',
      [id, attempt, worker],
    );
  }

  async endAttempt(id: string, attempt: number, outcome: string): Promise<void> {
    await this.#db.query(
      'update switchyard_attempts set ended_at = now(), outcome = $3 where run_id = $1 and attempt = $2',
      [id, attempt, outcome],
    );
  }

  async attempts(id: string): Promise<Array<{ attempt: number; worker: string; outcome: string | null }>> {
    return this.#db.query(
      'select attempt, worker, outcome from switchyard_attempts where run_id = $1 order by attempt',
      [id],
    );
  }

  /** The branch a run starts from, set before its job is sent. */
  async setBase(id: string, base: string | null): Promise<void> {
    await this.#db.query('update switchyard_runs set base_branch = $2 where id = $1', [id, base]);
  }

  /**
   * Moves a run whose job a worker took to running; `undefined` when it already ended or runs.
   * A waiting run counts too: its job may have been sent just before a crash kept it from being
   * marked dispatched.
   */
  async startRun(id: string): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      `update switchyard_runs set state = 'running', started_at = now(), dispatched_at = coalesce(dispatched_at, now()), waiting_reason = null
       where id = $1 and state in ('queued', 'waiting') returning *`,
      [id],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async finishRun(id: string, outcome: RunOutcomeFields): Promise<RunRecord> {
    const rows = await this.#db.query<RunRow>(
      `update switchyard_runs set state = $2, reason = $3, log_tail = $4, diff_stat = $5, agent_ms = $6,
              pull_request_number = $7, pull_request_url = $8, kept_branch = $9, usage = $10, summary = $11,
              pull_request_state = case when $7::integer is null then null else 'open' end, finished_at = now()
       where id = $1 returning *`,
      [
        id,
        outcome.state,
        outcome.reason ?? null,
        outcome.logTail ?? null,
        outcome.diffStat ? JSON.stringify(outcome.diffStat) : null,
        outcome.agentMs ?? null,
        outcome.pullRequestNumber ?? null,
        outcome.pullRequestUrl ?? null,
        outcome.keptBranch ?? false,
        outcome.usage ? JSON.stringify(outcome.usage) : null,
        outcome.summary ?? null,
      ],
    );
    if (!rows[0]) throw new Error(`run ${id} does not exist`);
    return toRun(rows[0]);
  }
}
