/**
 * Webhook deliveries of a burst are recorded together, in one statement, on a real embedded
 * database made by its own process: each delivery id is taken exactly once, a redelivery in the
 * same batch as its original too, and one from an earlier batch is refused. The database runs
 * with Switchyard's buffer pool, not Postgres's default.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, PGLITE_SHARED_BUFFERS, type Database } from '../../src/store/db.ts';
import { DeliveryStore } from '../../src/store/deliveries.ts';
import { migrate } from '../../src/store/migrations.ts';

describe('delivery records', () => {
  let dataDir: string;
  let db: Database;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'switchyard-deliveries-'));
    db = await openDatabase({ dataDir });
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('was made by initdb in a process of its own, and takes each id of a burst once', async () => {
    expect(existsSync(join(dataDir, 'db', 'PG_VERSION'))).toBe(true);
    const deliveries = new DeliveryStore(db);
    const ids = Array.from({ length: 50 }, (_, i) => `delivery-${i}`);
    // Fifty at once, ten of them twice (a redelivery racing its original), in one batch.
    const taken = await Promise.all([...ids, ...ids.slice(0, 10)].map((id) => deliveries.record(id, 'issues')));
    expect(taken.filter(Boolean)).toHaveLength(50);
    expect(taken.slice(50)).toEqual(Array.from({ length: 10 }, () => false));
    // A later redelivery is refused; a new id is taken.
    expect(await deliveries.record('delivery-3', 'issues')).toBe(false);
    expect(await deliveries.record('delivery-new', 'issues')).toBe(true);
    const rows = await db.query<{ count: string | number }>('select count(*) as count from switchyard_deliveries');
    expect(Number(rows[0]?.count)).toBe(51);
  });

  it("runs with Switchyard's smaller buffer pool", async () => {
    const rows = await db.query<{ shared_buffers: string }>('show shared_buffers');
    expect(PGLITE_SHARED_BUFFERS).not.toBe('128MB');
    expect(rows[0]?.shared_buffers).toBe(PGLITE_SHARED_BUFFERS);
  });
});
