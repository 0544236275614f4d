/**
 * What the dashboard reads besides run records: each run's log, shipped from its worker in
 * pieces (already redacted), and the workers with their heartbeats. Both live in the database so
 * that a web role on another machine sees them.
 */
import type { Database } from './db.ts';

export interface LogChunk {
  seq: number;
  attempt: number;
  at: Date;
  chunk: string;
}

export interface WorkerRecord {
  id: string;
  host: string;
  pid: number;
  roles: string;
  slots: number;
  running: number;
  startedAt: Date;
  heartbeatAt: Date;
}

export class ObservabilityStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async appendLog(runId: string, attempt: number, chunk: string): Promise<void> {
    await this.#db.query('insert into switchyard_run_logs (run_id, attempt, chunk) values ($1, $2, $3)', [
      runId,
      attempt,
      chunk,
    ]);
  }

  /** The run's log pieces after `afterSeq`, in order. */
  async logAfter(runId: string, afterSeq: number, limit = 500): Promise<LogChunk[]> {
    const rows = await this.#db.query<{ seq: string | number; attempt: number; at: Date; chunk: string }>(
      'select seq, attempt, at, chunk from switchyard_run_logs where run_id = $1 and seq > $2 order by seq limit $3',
      [runId, afterSeq, limit],
    );
    return rows.map((row) => ({ seq: Number(row.seq), attempt: row.attempt, at: row.at, chunk: row.chunk }));
  }

  /** Logs of runs that finished before `before` are dropped: the dashboard keeps a week. */
  async pruneLogs(before: Date): Promise<void> {
    await this.#db.query(
      'delete from switchyard_run_logs where run_id in (select id from switchyard_runs where finished_at < $1)',
      [before],
    );
  }

  /** Records a worker's heartbeat, and forgets workers silent for an hour (dead ones never say goodbye). */
  async heartbeat(worker: Omit<WorkerRecord, 'startedAt' | 'heartbeatAt'>): Promise<void> {
    await this.#db.query(`delete from switchyard_workers where heartbeat_at < now() - interval '1 hour'`);
    await this.#db.query(
      `insert into switchyard_workers (id, host, pid, roles, slots, running) values ($1, $2, $3, $4, $5, $6)
       on conflict (id) do update set running = excluded.running, slots = excluded.slots, heartbeat_at = now()`,
      [worker.id, worker.host, worker.pid, worker.roles, worker.slots, worker.running],
    );
  }

  async removeWorker(id: string): Promise<void> {
    await this.#db.query('delete from switchyard_workers where id = $1', [id]);
  }

  /** Workers heard from within `withinMs`, newest first. */
  async workers(withinMs: number): Promise<WorkerRecord[]> {
    const rows = await this.#db.query<{
      id: string;
      host: string;
      pid: number;
      roles: string;
      slots: number;
      running: number;
      started_at: Date;
      heartbeat_at: Date;
    }>(
      `select * from switchyard_workers where heartbeat_at >= now() - ($1::integer * interval '1 millisecond') order by started_at desc`,
      [withinMs],
    );
    return rows.map((row) => ({
      id: row.id,
      host: row.host,
      pid: row.pid,
      roles: row.roles,
      slots: row.slots,
      running: row.running,
      startedAt: row.started_at,
      heartbeatAt: row.heartbeat_at,
    }));
  }
}

/** The most of one run's log the database keeps for the dashboard; the worker's file keeps more. */
export const MAX_SHIPPED_LOG_BYTES = 1024 * 1024;

/**
 * Sends a run's log to the database in batches (one insert a second at most), up to
 * `MAX_SHIPPED_LOG_BYTES`; then one line says the rest is on the worker's disk.
 */
export class LogShipper {
  readonly #store: ObservabilityStore;
  readonly #runId: string;
  readonly #attempt: number;
  readonly #onError: (error: unknown) => void;
  #buffer = '';
  #shipped = 0;
  #full = false;
  #sending: Promise<void> = Promise.resolve();
  readonly #timer: NodeJS.Timeout;

  constructor(
    store: ObservabilityStore,
    runId: string,
    attempt: number,
    onError: (error: unknown) => void,
    everyMs = 1_000,
  ) {
    this.#store = store;
    this.#runId = runId;
    this.#attempt = attempt;
    this.#onError = onError;
    this.#timer = setInterval(() => void this.#send(), everyMs);
    this.#timer.unref();
  }

  push(text: string): void {
    if (this.#full) return;
    this.#buffer += text;
  }

  /** Sends what is left and stops. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#send();
  }

  #send(): Promise<void> {
    this.#sending = this.#sending.then(async () => {
      if (!this.#buffer) return;
      let chunk = this.#buffer;
      this.#buffer = '';
      const room = MAX_SHIPPED_LOG_BYTES - this.#shipped;
      if (Buffer.byteLength(chunk) > room) {
        chunk = `${Buffer.from(chunk).subarray(0, Math.max(0, room)).toString('utf8')}\n[… the dashboard keeps the first MiB of a run's log; the rest is in the worker's log file …]\n`;
        this.#full = true;
      }
      this.#shipped += Buffer.byteLength(chunk);
      await this.#store.appendLog(this.#runId, this.#attempt, chunk).catch(this.#onError);
    });
    return this.#sending;
  }
}
