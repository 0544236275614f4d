/**
 * A run held for disk space stays held however its job and the plan that sent it interleave:
 * the plan sends the job before it marks the run dispatched, and a worker may take the job first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldForDisk } from '../../src/jobs/run.ts';
import { createLogger } from '../../src/log/logger.ts';
import { Redactor } from '../../src/log/redact.ts';
import { BatchStore } from '../../src/store/batches.ts';
import { openDatabase, type Database } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrations.ts';
import { Store } from '../../src/store/runs.ts';
import { storeTrigger } from '../support/trigger.ts';

const log = createLogger({ level: 'silent', format: 'json', redactor: new Redactor() });

describe('a run held for disk space', () => {
  let dataDir: string;
  let db: Database;
  let store: Store;
  let ctx: Parameters<typeof heldForDisk>[1];
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'switchyard-disk-hold-'));
    db = await openDatabase({ dataDir });
    await migrate(db);
    store = new Store(db);
    ctx = {
      store,
      log,
      // More room than any disk has.
      settings: { dataDir, minFreeDiskBytes: Number.MAX_SAFE_INTEGER },
      send: { report: async () => undefined, plan: async () => undefined },
    } as unknown as Parameters<typeof heldForDisk>[1];
  });
  afterAll(async () => {
    await db?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function queuedRun(issue: number) {
    const { batch } = await new BatchStore(db).openOrJoin('o/r', 0);
    const run = await store.createRun(storeTrigger(issue, 'Full'), `agent/${issue}-full`, {
      batchId: batch.id,
      priority: 0,
      config: {},
    });
    if (!run) throw new Error('no run created');
    return run;
  }

  it('waits, undispatched, when its job runs before the plan marks it dispatched', async () => {
    const run = await queuedRun(1);
    const held = heldForDisk(run.id, ctx);
    // The plan's mark lands while the job is already looking at the run.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await store.dispatchRun(run.id, null);
    expect(await held).toBe(true);
    const after = await store.getRun(run.id);
    expect(after?.state).toBe('waiting');
    expect(after?.dispatchedAt).toBeNull();
    expect(after?.waitingReason).toMatch(/^waits for disk space: \d+ MiB free/);
  });

  it('waits, undispatched, when the mark came first', async () => {
    const run = await queuedRun(2);
    await store.dispatchRun(run.id, null);
    expect(await heldForDisk(run.id, ctx)).toBe(true);
    const after = await store.getRun(run.id);
    expect(after?.state).toBe('waiting');
    expect(after?.dispatchedAt).toBeNull();
  });

  it('lets a run with room start', async () => {
    const run = await queuedRun(3);
    expect(await heldForDisk(run.id, { ...ctx, settings: { ...ctx.settings, minFreeDiskBytes: 0 } })).toBe(false);
    expect((await store.getRun(run.id))?.state).toBe('queued');
  });
});
