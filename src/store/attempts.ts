/** \`switchyard_attempts\`: each attempt of a run, the worker that took it, and how it ended. */
import type { Queryable } from './db.ts';

export class AttemptStore {
  private readonly db: Queryable;

  constructor(db: Queryable) {
    this.db = db;
  }

  /** The same records, written inside the transaction \`tx\`. */
  within(tx: Queryable): AttemptStore {
    return new AttemptStore(tx);
  }

  async start(id: string, attempt: number, worker: string): Promise<void> {
    await this.db.query(
      'insert into switchyard_attempts (run_id, attempt, worker) values ($1, $2, $3) on conflict (run_id, attempt) do update set worker = excluded.worker, started_at = now()',
      [id, attempt, worker],
    );
  }

  async end(id: string, attempt: number, outcome: string): Promise<void> {
    await this.db.query(
      'update switchyard_attempts set ended_at = now(), outcome = $3 where run_id = $1 and attempt = $2',
      [id, attempt, outcome],
    );
  }

  async list(id: string): Promise<Array<{ attempt: number; worker: string; outcome: string | null }>> {
    return this.db.query(
      'select attempt, worker, outcome from switchyard_attempts where run_id = $1 order by attempt',
      [id],
    );
  }

  /** Closes an attempt whose worker stopped under it. */
  async closeInterrupted(id: string, attempt: number): Promise<void> {
    await this.db.query(
      `update switchyard_attempts set ended_at = now(), outcome = 'interrupted' where run_id = $1 and attempt = $2 and ended_at is null`,
      [id, attempt],
    );
  }
}
