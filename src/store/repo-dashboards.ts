/** `switchyard_repo_dashboards`: which issue is a repository's dashboard, and what it last said. */
import type { Queryable } from './db.ts';

export interface DashboardRow {
  /** 0 while a process that claimed the row is opening the issue. */
  issueNumber: number;
  bodyHash: string | null;
}

export class RepoDashboardStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async find(repo: string): Promise<DashboardRow | undefined> {
    const [row] = await this.#db.query<{ issue_number: number; body_hash: string | null }>(
      'select issue_number, body_hash from switchyard_repo_dashboards where repo = $1',
      [repo],
    );
    return row ? { issueNumber: row.issue_number, bodyHash: row.body_hash } : undefined;
  }

  /** Claims the right to open the repository's issue; `false` when another process has it. */
  async claim(repo: string): Promise<boolean> {
    const claimed = await this.#db.query(
      'insert into switchyard_repo_dashboards (repo, issue_number) values ($1, 0) on conflict (repo) do nothing returning repo',
      [repo],
    );
    return claimed.length === 1;
  }

  async save(repo: string, issueNumber: number, bodyHash: string): Promise<void> {
    await this.#db.query(
      `insert into switchyard_repo_dashboards (repo, issue_number, body_hash) values ($1, $2, $3)
       on conflict (repo) do update set issue_number = excluded.issue_number, body_hash = excluded.body_hash`,
      [repo, issueNumber, bodyHash],
    );
  }

  /** Forgets what the issue said, so that the next write happens even if nothing changed. */
  async forget(repo: string): Promise<void> {
    await this.#db.query('update switchyard_repo_dashboards set body_hash = null where repo = $1', [repo]);
  }
}
