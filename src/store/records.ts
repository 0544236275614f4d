/** The records of deliveries, runs and status comments, and the only SQL that touches them. */
import type { Database } from './db.ts';

export type RunState = 'queued' | 'waiting' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

export const LIVE_STATES: readonly RunState[] = ['queued', 'waiting', 'running'];

export interface RepoRef {
  owner: string;
  name: string;
  /** `owner/name` */
  fullName: string;
  cloneUrl: string;
  defaultBranch: string;
}

export interface IssueSnapshot {
  number: number;
  title: string;
  body: string;
  labels: string[];
  url: string;
  author: string;
}

/** What a trigger said, kept with the run so that a worker needs nothing else. */
export interface RunTrigger {
  deliveryId: string;
  installationId: number;
  sender: string;
  label: string;
  agent: string;
  repo: RepoRef;
  issue: IssueSnapshot;
}

export interface DiffStat {
  files: number;
  insertions: number;
  deletions: number;
  /** `git diff --stat` as text, for the pull request body. */
  text: string;
}

export interface RunRecord {
  id: string;
  repo: string;
  issueNumber: number;
  installationId: number;
  agent: string;
  state: RunState;
  attempt: number;
  branch: string;
  trigger: RunTrigger;
  commentId: number | null;
  pullRequestNumber: number | null;
  pullRequestUrl: string | null;
  reason: string | null;
  logTail: string | null;
  diffStat: DiffStat | null;
  agentMs: number | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface RunOutcomeFields {
  state: Exclude<RunState, 'queued' | 'waiting' | 'running'>;
  reason?: string | null;
  logTail?: string | null;
  diffStat?: DiffStat | null;
  agentMs?: number | null;
  pullRequestNumber?: number | null;
  pullRequestUrl?: string | null;
}

interface RunRow {
  id: string;
  repo: string;
  issue_number: number;
  installation_id: string | number;
  agent: string;
  state: RunState;
  attempt: number;
  branch: string;
  trigger: RunTrigger;
  comment_id: string | number | null;
  pull_request_number: number | null;
  pull_request_url: string | null;
  reason: string | null;
  log_tail: string | null;
  diff_stat: DiffStat | null;
  agent_ms: number | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    repo: row.repo,
    issueNumber: row.issue_number,
    installationId: Number(row.installation_id),
    agent: row.agent,
    state: row.state,
    attempt: row.attempt,
    branch: row.branch,
    trigger: row.trigger,
    commentId: row.comment_id === null ? null : Number(row.comment_id),
    pullRequestNumber: row.pull_request_number,
    pullRequestUrl: row.pull_request_url,
    reason: row.reason,
    logTail: row.log_tail,
    diffStat: row.diff_stat,
    agentMs: row.agent_ms,
    createdAt: new Date(row.created_at),
    startedAt: row.started_at ? new Date(row.started_at) : null,
    finishedAt: row.finished_at ? new Date(row.finished_at) : null,
  };
}

export class Store {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Records a webhook delivery id; `false` when it was seen before (a redelivery). */
  async recordDelivery(id: string, event: string): Promise<boolean> {
    const rows = await this.#db.query('insert into switchyard_deliveries (id, event) values ($1, $2) on conflict do nothing returning id', [id, event]);
    return rows.length === 1;
  }

  async forgetDelivery(id: string): Promise<void> {
    await this.#db.query('delete from switchyard_deliveries where id = $1', [id]);
  }

  /**
   * Creates a queued run for a trigger, or returns `undefined` when the issue already has a live
   * run — the decision holds across processes because the database enforces it.
   */
  async createRun(trigger: RunTrigger, branch: string): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      `insert into switchyard_runs (repo, issue_number, installation_id, agent, state, branch, trigger)
       values ($1, $2, $3, $4, 'queued', $5, $6)
       on conflict do nothing
       returning *`,
      [trigger.repo.fullName, trigger.issue.number, trigger.installationId, trigger.agent, branch, JSON.stringify(trigger)],
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

  async listRuns(filter: { repo?: string } = {}): Promise<RunRecord[]> {
    const rows = filter.repo
      ? await this.#db.query<RunRow>('select * from switchyard_runs where repo = $1 order by created_at', [filter.repo])
      : await this.#db.query<RunRow>('select * from switchyard_runs order by created_at');
    return rows.map(toRun);
  }

  /** Ends a run that never got to report, keeping what it had recorded. */
  async failRun(id: string, reason: string): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      `update switchyard_runs set state = 'failed', reason = $2, finished_at = now()
       where id = $1 and state in ('queued', 'waiting', 'running') returning *`,
      [id, reason],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Moves a queued run to running; `undefined` when it was not queued (cancelled, or taken). */
  async startRun(id: string): Promise<RunRecord | undefined> {
    const rows = await this.#db.query<RunRow>(
      `update switchyard_runs set state = 'running', started_at = now() where id = $1 and state = 'queued' returning *`,
      [id],
    );
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async finishRun(id: string, outcome: RunOutcomeFields): Promise<RunRecord> {
    const rows = await this.#db.query<RunRow>(
      `update switchyard_runs set state = $2, reason = $3, log_tail = $4, diff_stat = $5, agent_ms = $6,
              pull_request_number = $7, pull_request_url = $8, finished_at = now()
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
      ],
    );
    if (!rows[0]) throw new Error(`run ${id} does not exist`);
    return toRun(rows[0]);
  }

  async statusCommentId(repo: string, issueNumber: number): Promise<number | undefined> {
    const rows = await this.#db.query<{ comment_id: string | number }>(
      'select comment_id from switchyard_status_comments where repo = $1 and issue_number = $2',
      [repo, issueNumber],
    );
    return rows[0] ? Number(rows[0].comment_id) : undefined;
  }

  async saveStatusCommentId(repo: string, issueNumber: number, commentId: number): Promise<void> {
    await this.#db.query(
      `insert into switchyard_status_comments (repo, issue_number, comment_id) values ($1, $2, $3)
       on conflict (repo, issue_number) do update set comment_id = excluded.comment_id`,
      [repo, issueNumber, commentId],
    );
  }
}
