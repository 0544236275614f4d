/** Batches: the runs whose triggers arrived within one batching window for one repository. */
import type { Database } from './db.ts';
import type { RunRecord } from '../domain/run.ts';

export interface Batch {
  id: string;
  repo: string;
  windowMs: number;
  openedAt: Date;
  closedAt: Date | null;
}

interface BatchRow {
  id: string;
  repo: string;
  window_ms: number;
  opened_at: Date;
  closed_at: Date | null;
}

const toBatch = (row: BatchRow): Batch => ({
  id: row.id,
  repo: row.repo,
  windowMs: row.window_ms,
  openedAt: new Date(row.opened_at),
  closedAt: row.closed_at ? new Date(row.closed_at) : null,
});

export type { BatchReport as PlanReport } from '../scheduler/report.ts';
import type { BatchReport as PlanReport } from '../scheduler/report.ts';

export class BatchStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * The repository's open batch, opening one when there is none. `joined` tells whether the
   * trigger joined a batch that was already open.
   */
  async openOrJoin(repo: string, windowMs: number): Promise<{ batch: Batch; joined: boolean }> {
    const inserted = await this.#db.query<BatchRow>(
      `insert into switchyard_batches (repo, window_ms) values ($1, $2) on conflict do nothing returning *`,
      [repo, windowMs],
    );
    if (inserted[0]) return { batch: toBatch(inserted[0]), joined: false };
    const open = await this.#db.query<BatchRow>(
      `select * from switchyard_batches where repo = $1 and closed_at is null`,
      [repo],
    );
    if (!open[0]) return this.openOrJoin(repo, windowMs);
    return { batch: toBatch(open[0]), joined: true };
  }

  /** Closes the batch with its report, once none of its runs is live. */
  async closeIfDone(id: string, report: (runs: RunRecord[]) => PlanReport, runs: RunRecord[]): Promise<boolean> {
    if (runs.some((r) => r.state === 'queued' || r.state === 'waiting' || r.state === 'running')) return false;
    const rows = await this.#db.query(
      `update switchyard_batches set closed_at = now(), report = $2 where id = $1 and closed_at is null returning id`,
      [id, JSON.stringify(report(runs))],
    );
    return rows.length === 1;
  }

  async report(id: string): Promise<PlanReport | undefined> {
    const rows = await this.#db.query<{ report: PlanReport | null }>(
      'select report from switchyard_batches where id = $1',
      [id],
    );
    return rows[0]?.report ?? undefined;
  }
}
