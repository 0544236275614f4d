/**
 * One database for the job engine and Switchyard's own records: PGlite in-process (embedded
 * default, data under the data directory) or PostgreSQL when `DATABASE_URL` is set. The rest of
 * the code talks to `Database` and does not know which of the two it is.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { fromPglite, type ConstructorOptions } from 'pg-boss';
import { AnswerFirst } from './answer-first.ts';
import { boundHeapGrowth } from './heap-growth.ts';
import { keepWasmOnBaselineCompiler } from './pglite-wasm.ts';

export interface Queryable {
  query<Row extends object>(text: string, params?: unknown[]): Promise<Row[]>;
}

/** `select 1`, failing with `no answer within N ms` when the database does not answer in time. */
export async function pingDatabase(db: Queryable, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([db.query('select 1'), silence]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction on one connection. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * The same database, for what a webhook's answer waits on (its delivery, its job, the records
   * its handler reads): on the embedded database these go ahead of the background work queued
   * before them.
   */
  readonly answering: Queryable & Pick<Database, 'transaction'>;
  /** How pg-boss reaches the same database. */
  bossOptions(): ConstructorOptions;
  close(): Promise<void>;
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite';
  readonly #db: PGlite;
  readonly #lanes = new AnswerFirst();
  readonly answering: Database['answering'];

  constructor(db: PGlite) {
    this.#db = db;
    this.answering = {
      query: async <Row extends object>(text: string, params: unknown[] = []) =>
        (await this.#lanes.answer(() => db.query<Row>(text, params))).rows,
      transaction: (work) => this.#lanes.answer(() => this.#transaction(work)),
    };
  }

  async query<Row extends object>(text: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.#lanes.background(() => this.#db.query<Row>(text, params))).rows;
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#lanes.background(() => this.#transaction(work));
  }

  #transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#db.transaction((tx) =>
      work({
        query: async <Row extends object>(text: string, params: unknown[] = []) =>
          (await tx.query<Row>(text, params)).rows,
      }),
    );
  }

  bossOptions(): ConstructorOptions {
    // pg-boss's statements (its fetches, heartbeats and maintenance) are background work too.
    const db = this.#db;
    const lanes = this.#lanes;
    const laned = {
      query: <Row>(text: string, params?: unknown[]) => lanes.background(() => db.query<Row>(text, params)),
      exec: (text: string) => lanes.background(() => db.exec(text)),
      listen: (channel: string, callback: (payload: string) => void) => db.listen(channel, callback),
    };
    return { db: fromPglite(laned), backend: 'pglite', useListenNotify: true };
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}

/** Statements and transactions on a pool of PostgreSQL connections. */
class PostgresPool {
  readonly #pool: pg.Pool;

  constructor(url: string, max: number) {
    this.#pool = new pg.Pool({ connectionString: url, max });
    // An idle connection that breaks (the server restarts, the network goes) is dropped by the
    // pool and the next query opens a new one; without a listener it would end the process.
    this.#pool.on('error', () => undefined);
  }

  async end(): Promise<void> {
    await this.#pool.end();
  }

  async query<Row extends object>(text: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.#pool.query<Row>(text, params)).rows;
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('begin');
      const result = await work({
        query: async <Row extends object>(text: string, params: unknown[] = []) =>
          (await client.query<Row>(text, params)).rows,
      });
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  readonly #main: PostgresPool;
  readonly #url: string;
  /** Connections of their own: a webhook's answer never waits for one that a job holds. */
  readonly answering: PostgresPool;

  constructor(url: string) {
    this.#url = url;
    this.#main = new PostgresPool(url, 5);
    this.answering = new PostgresPool(url, 2);
  }

  query<Row extends object>(text: string, params: unknown[] = []): Promise<Row[]> {
    return this.#main.query<Row>(text, params);
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#main.transaction(work);
  }

  bossOptions(): ConstructorOptions {
    return { connectionString: this.#url, useListenNotify: true, max: 5 };
  }

  async close(): Promise<void> {
    await Promise.all([this.#main.end(), this.answering.end()]);
  }
}

/**
 * A new embedded database is made by a short-lived process of its own: PGlite's initdb peaks at
 * 651 MB of memory (1,148 MB with the optimizing wasm compiler), which a long-running process
 * would keep as its high-water mark; opening an existing one takes about 300 MB.
 */
async function initializeApart(dir: string): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  const script = join(dirname(here), `pglite-init${extname(here)}`);
  await promisify(execFile)(process.execPath, [script, dir], { timeout: 120_000 });
}

/**
 * Postgres's buffer pool, which PGlite keeps in its wasm memory: Postgres's default 128 MB is
 * touched page by page as a burst writes, and wasm memory is never given back. The pages left out
 * are still in the operating system's page cache, since PGlite reads its files through Node's fs.
 * Measured with `npm run bench:intake` (1,100 webhooks, embedded): peak RSS 598 MB with 128 MB,
 * 469 MB with 32 MB, and acknowledgements no slower (p99 225 against 157 ms).
 */
export const PGLITE_SHARED_BUFFERS = '32MB';

/** Opens PostgreSQL when a URL is given, otherwise PGlite stored in `dataDir/db`. */
export async function openDatabase(options: { databaseUrl?: string | undefined; dataDir: string }): Promise<Database> {
  if (options.databaseUrl) return new PostgresDatabase(options.databaseUrl);
  const dir = `${options.dataDir}/db`;
  await mkdir(dir, { recursive: true });
  if (!existsSync(join(dir, 'PG_VERSION'))) await initializeApart(dir);
  keepWasmOnBaselineCompiler();
  boundHeapGrowth();
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`];
  return new PgliteDatabase(await PGlite.create(dir, { startParams }));
}
