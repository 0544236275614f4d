/**
 * What Switchyard remembers of its own writes on GitHub: each issue's status comment (which
 * comment, what it last said, which status label it set, when), repository configs read, and
 * the repositories whose labels were set up. Shared by every process through the database.
 */
import type { Queryable } from './db.ts';

export interface StatusRow {
  commentId: number | undefined;
  writtenAt: Date | undefined;
  bodyHash: string | undefined;
  label: string | undefined;
  /** An answer to a command (`/agent plan`, `/agent status`) shown in the status comment. */
  note: string | undefined;
}

export interface CachedConfig {
  raw: unknown;
  problems: string[] | null;
  pushedAt: string | null;
  readAt: Date;
}

interface StatusDbRow {
  comment_id: string | number | null;
  written_at: Date | null;
  body_hash: string | null;
  label: string | null;
  note: string | null;
}

export class GitHubRecords {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The same records, read and written inside the transaction `tx`. */
  within(tx: Queryable): GitHubRecords {
    return new GitHubRecords(tx);
  }

  async status(repo: string, issueNumber: number): Promise<StatusRow> {
    const rows = await this.#db.query<StatusDbRow>(
      'select comment_id, written_at, body_hash, label, note from switchyard_status_comments where repo = $1 and issue_number = $2',
      [repo, issueNumber],
    );
    const row = rows[0];
    return {
      commentId: row?.comment_id === null || row?.comment_id === undefined ? undefined : Number(row.comment_id),
      writtenAt: row?.written_at ? new Date(row.written_at) : undefined,
      bodyHash: row?.body_hash ?? undefined,
      label: row?.label ?? undefined,
      note: row?.note ?? undefined,
    };
  }

  /** Records a write to GitHub (the comment, the label, or both) and when it happened. */
  async saveStatus(
    repo: string,
    issueNumber: number,
    write: { commentId: number | undefined; bodyHash: string | undefined; label: string | undefined },
  ): Promise<void> {
    await this.#db.query(
      `insert into switchyard_status_comments (repo, issue_number, comment_id, body_hash, label, written_at) values ($1, $2, $3, $4, $5, now())
       on conflict (repo, issue_number) do update set comment_id = excluded.comment_id, body_hash = excluded.body_hash, label = excluded.label, written_at = now()`,
      [repo, issueNumber, write.commentId ?? null, write.bodyHash ?? null, write.label ?? null],
    );
  }

  async setNote(repo: string, issueNumber: number, note: string | null): Promise<void> {
    await this.#db.query(
      `insert into switchyard_status_comments (repo, issue_number, note) values ($1, $2, $3)
       on conflict (repo, issue_number) do update set note = excluded.note`,
      [repo, issueNumber, note],
    );
  }

  async cachedConfig(repo: string): Promise<CachedConfig | undefined> {
    const rows = await this.#db.query<{
      raw: unknown;
      problems: string[] | null;
      pushed_at: string | null;
      read_at: Date;
    }>('select raw, problems, pushed_at, read_at from switchyard_repo_configs where repo = $1', [repo]);
    const row = rows[0];
    return row
      ? { raw: row.raw, problems: row.problems, pushedAt: row.pushed_at, readAt: new Date(row.read_at) }
      : undefined;
  }

  async cacheConfig(
    repo: string,
    entry: { raw: unknown; problems: string[] | null; pushedAt: string | null },
  ): Promise<void> {
    await this.#db.query(
      `insert into switchyard_repo_configs (repo, raw, problems, pushed_at, read_at) values ($1, $2, $3, $4, now())
       on conflict (repo) do update set raw = excluded.raw, problems = excluded.problems, pushed_at = excluded.pushed_at, read_at = now()`,
      [repo, JSON.stringify(entry.raw ?? null), entry.problems ? JSON.stringify(entry.problems) : null, entry.pushedAt],
    );
  }

  async labelsHash(repo: string): Promise<string | undefined> {
    const rows = await this.#db.query<{ labels_hash: string }>(
      'select labels_hash from switchyard_repo_labels where repo = $1',
      [repo],
    );
    return rows[0]?.labels_hash;
  }

  async saveLabelsHash(repo: string, hash: string): Promise<void> {
    await this.#db.query(
      `insert into switchyard_repo_labels (repo, labels_hash) values ($1, $2)
       on conflict (repo) do update set labels_hash = excluded.labels_hash, ensured_at = now()`,
      [repo, hash],
    );
  }
}
