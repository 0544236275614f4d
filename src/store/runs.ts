/**
 * \`switchyard_runs\`: a run's record and every change of its state. The database enforces one
 * live run per issue, so the decisions here hold across processes.
 */
import type { CiChecks } from '../domain/ci-checks.ts';
import type { BranchPush, Mergeability } from '../domain/mergeability.ts';
import type { PromptComment, PullRequestState, RunOutcomeFields, RunRecord, RunTrigger } from '../domain/run.ts';
import { AttemptStore } from './attempts.ts';
import type { Queryable } from './db.ts';
import { RunReads } from './run-reads.ts';
import { toRun, type RunRow } from './run-row.ts';

export class Store extends RunReads {
  /** The same records, read and written inside the transaction \`tx\`. */
  within(tx: Queryable): Store {
    return new Store(tx);
  }

  /** \`work\` in one transaction; already inside one, in that one. */
  async #transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return 'transaction' in this.db ? this.db.transaction(work) : work(this.db);
  }

  /**
   * Creates a queued run for a trigger, or returns `undefined` when the issue already has a live
   * run — the decision holds across processes because the database enforces it.
   */
  async createRun(
    trigger: RunTrigger,
    branch: string,
    plan: {
      batchId: string;
      priority: number;
      config: unknown;
      attempt?: number;
      comments?: readonly PromptComment[];
      repairs?: number;
      checkRounds?: number;
      startFrom?: string | undefined;
    },
  ): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
      `insert into switchyard_runs (repo, issue_number, installation_id, agent, state, branch, trigger, batch_id, priority, config, attempt, comments, repairs, check_rounds, start_from)
       values ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
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
        plan.repairs ?? 0,
        plan.checkRounds ?? 0,
        plan.startFrom ?? null,
      ],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Records what became of a pull request Switchyard opened; returns the run that opened it. */
  async setPullRequestState(
    repo: string,
    pullRequestNumber: number,
    state: PullRequestState,
  ): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
      `update switchyard_runs set pull_request_state = $3
       where id = (select id from switchyard_runs where repo = $1 and pull_request_number = $2 order by created_at desc limit 1) returning *`,
      [repo, pullRequestNumber, state],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Ends a run that never got to report, keeping what it had recorded. */
  async failRun(id: string, reason: string, state: 'failed' | 'cancelled' = 'failed'): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
      `update switchyard_runs set state = $3, reason = $2, finished_at = now()
       where id = $1 and state in ('queued', 'waiting', 'running') returning *`,
      [id, reason, state],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async acknowledgeRun(id: string): Promise<void> {
    await this.db.query('update switchyard_runs set acknowledged_at = now() where id = $1', [id]);
  }

  async setDependencies(id: string, dependsOn: readonly number[], foreign: readonly string[]): Promise<void> {
    await this.db.query(
      'update switchyard_runs set depends_on = $2, foreign_dependencies = $3, dependencies_read_at = now() where id = $1',
      [id, dependsOn, foreign],
    );
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
    const ended = await this.db.query<RunRow>(
      `update switchyard_runs set state = 'cancelled', reason = $3, finished_at = now()
       where repo = $1 and issue_number = $2 and state in ('queued', 'waiting') returning *`,
      [repo, issueNumber, `Cancelled before it started: ${reason}.`],
    );
    if (ended[0]) return { result: 'cancelled', run: toRun(ended[0]) };
    const flagged = await this.db.query<RunRow>(
      `update switchyard_runs set cancel_requested_at = now(), cancel_reason = $3
       where repo = $1 and issue_number = $2 and state = 'running' and cancel_requested_at is null returning *`,
      [repo, issueNumber, reason],
    );
    return flagged[0] ? { result: 'requested', run: toRun(flagged[0]) } : undefined;
  }

  async setRescuedBranch(id: string, branch: string): Promise<void> {
    await this.db.query('update switchyard_runs set rescued_branch = $2 where id = $1', [id, branch]);
  }

  /** The agent's newest line of output, while the run runs. */
  async setProgress(id: string, line: string): Promise<void> {
    await this.db.query(`update switchyard_runs set progress = $2 where id = $1 and state = 'running'`, [id, line]);
  }

  /** Puts a run that could not start (low disk) back to waiting, for the scheduler to try later. */
  async requeueRun(id: string, reason: string): Promise<void> {
    await this.db.query(
      `update switchyard_runs set state = 'waiting', waiting_reason = $2, dispatched_at = null, started_at = null where id = $1 and state in ('queued', 'waiting', 'running')`,
      [id, reason],
    );
  }

  async recordChecks(id: string, checks: unknown): Promise<void> {
    await this.db.query('update switchyard_runs set checks = $2 where id = $1', [id, JSON.stringify(checks)]);
  }

  /**
   * Holds runs, each with its reason, in one statement (a plan of a thousand queued runs holds
   * them all); returns the ids whose reason changed.
   */
  async holdRuns(holds: ReadonlyArray<{ id: string; reason: string }>): Promise<Set<string>> {
    if (holds.length === 0) return new Set();
    const rows = await this.db.query<{ id: string }>(
      `update switchyard_runs r set state = 'waiting', waiting_reason = h.reason, dispatched_at = null
       from unnest($1::uuid[], $2::text[]) as h(id, reason)
       where r.id = h.id and r.state in ('queued', 'waiting') and r.dispatched_at is null
         and r.waiting_reason is distinct from h.reason
       returning r.id`,
      [holds.map((h) => h.id), holds.map((h) => h.reason)],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Hands a run to the queue: queued again, with the branch it starts from. */
  async dispatchRun(id: string, base: string | null): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
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
      await new AttemptStore(tx).closeInterrupted(id, run.attempt - 1);
      return toRun(run);
    });
  }

  /** The commit Switchyard pushed to the run's branch (a replay), and the base its pull request now targets. */
  async setHead(id: string, sha: string, base: string | null): Promise<void> {
    await this.db.query('update switchyard_runs set head_sha = $2, base_branch = $3 where id = $1', [id, sha, base]);
  }

  /** Keeps what Switchyard last read of a pull request's CI, with the run that stands for it. */
  async setCiChecks(id: string, ci: CiChecks | null): Promise<void> {
    await this.db.query('update switchyard_runs set ci_checks = $2 where id = $1', [
      id,
      ci ? JSON.stringify(ci) : null,
    ]);
  }

  /** What Switchyard last found and did about the run's pull request and its base. */
  async setMergeability(id: string, mergeability: Mergeability | null): Promise<void> {
    await this.db.query('update switchyard_runs set mergeability = $2 where id = $1', [
      id,
      mergeability ? JSON.stringify(mergeability) : null,
    ]);
  }

  /** The newest push GitHub announced of a branch of the repository (`sha`: where it points now). */
  async recordPush(repo: string, ref: string, sha: string): Promise<void> {
    await this.db.query(
      `insert into switchyard_branch_pushes (repo, ref, sha) values ($1, $2, $3)
       on conflict (repo, ref) do update set sha = excluded.sha, seen_at = now()`,
      [repo, ref, sha],
    );
  }

  /** The newest push seen of each branch of the repository. */
  async branchPushes(repo: string): Promise<BranchPush[]> {
    const rows = await this.db.query<{ ref: string; sha: string; seen_at: Date | string }>(
      'select ref, sha, seen_at from switchyard_branch_pushes where repo = $1',
      [repo],
    );
    return rows.map((row) => ({ ref: row.ref, sha: row.sha, seenAt: new Date(row.seen_at) }));
  }

  /** The branch a run starts from, set before its job is sent. */
  async setBase(id: string, base: string | null): Promise<void> {
    await this.db.query('update switchyard_runs set base_branch = $2 where id = $1', [id, base]);
  }

  /**
   * Moves a run whose job a worker took to running; `undefined` when it already ended or runs.
   * A waiting run counts too: its job may have been sent just before a crash kept it from being
   * marked dispatched.
   */
  async startRun(id: string): Promise<RunRecord | undefined> {
    const rows = await this.db.query<RunRow>(
      `update switchyard_runs set state = 'running', started_at = now(), dispatched_at = coalesce(dispatched_at, now()), waiting_reason = null
       where id = $1 and state in ('queued', 'waiting') returning *`,
      [id],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async finishRun(id: string, outcome: RunOutcomeFields): Promise<RunRecord> {
    const rows = await this.db.query<RunRow>(
      `update switchyard_runs set state = $2, reason = $3, log_tail = $4, diff_stat = $5, agent_ms = $6,
              pull_request_number = $7, pull_request_url = $8, kept_branch = $9, usage = $10, summary = $11, head_sha = $12,
              pull_request_state = case when $7::integer is null then null else coalesce(
                $13,
                -- Merged while this run (a repair) ran: the webhook marked the run that had the number then.
                (select merged.pull_request_state from switchyard_runs merged
                  where merged.repo = switchyard_runs.repo and merged.pull_request_number = $7
                    and merged.id <> $1 and merged.pull_request_state = 'merged' limit 1),
                'open') end, steps = $14,
              finished_at = now()
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
        outcome.headSha ?? null,
        outcome.pullRequestState ?? null,
        outcome.steps ? JSON.stringify(outcome.steps) : null,
      ],
    );
    if (!rows[0]) throw new Error(`run ${id} does not exist`);
    return toRun(rows[0]);
  }
}
