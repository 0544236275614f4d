import { describe, expect, it } from 'vitest';
import { checkHealth } from '../../src/web/health.ts';

const roles = { web: false, worker: true };

describe('checkHealth', () => {
  it('is ready when the database answers and the disk has room', async () => {
    const report = await checkHealth({
      db: { kind: 'postgres', query: async () => [] },
      roles,
      disk: { dir: '/', minFreeBytes: 1 },
    });
    expect(report.ok).toBe(true);
    expect(report.checks.database?.detail).toMatch(/^postgres answered in \d+ ms$/);
    expect(report.checks.disk?.ok).toBe(true);
  });

  it('names what fails: a database that errs or does not answer, a full disk', async () => {
    const failing = await checkHealth({
      db: { kind: 'postgres', query: async () => Promise.reject(new Error('connection refused')) },
      roles,
      disk: { dir: '/', minFreeBytes: Number.MAX_SAFE_INTEGER },
    });
    expect(failing.ok).toBe(false);
    expect(failing.checks.database).toEqual({ ok: false, detail: 'postgres: connection refused' });
    expect(failing.checks.disk?.ok).toBe(false);
    const silent = await checkHealth({
      db: { kind: 'postgres', query: () => new Promise(() => undefined) },
      roles: { web: true, worker: false },
      timeoutMs: 50,
    });
    expect(silent.checks).toEqual({ database: { ok: false, detail: 'postgres: no answer within 50 ms' } });
  });
});
