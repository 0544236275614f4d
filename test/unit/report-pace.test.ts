/**
 * How report jobs are sent: calm ones debounced per issue at the status interval, urgent ones at
 * once, settled ones an interval later.
 */
import { describe, expect, it } from 'vitest';
import { JOBS, sender } from '../../src/jobs/index.ts';
import type { JobEngine } from '../../src/queue/engine.ts';

function fakeEngine() {
  const sent: Array<{ how: string; queue: string; data: object; key?: string; seconds?: number; options: object }> = [];
  const engine = {
    send: async (queue: string, data: object, options: object = {}) => {
      sent.push({ how: 'send', queue, data, options });
      return 'id';
    },
    sendDebounced: async (queue: string, data: object, key: string, seconds: number, options: object = {}) => {
      sent.push({ how: 'debounced', queue, data, key, seconds, options });
    },
    batchedSender: (queue: string) => async (data: object, key: string) => {
      sent.push({ how: 'batched', queue, data, key, options: {} });
    },
  } as unknown as JobEngine;
  return { engine, sent };
}

describe('report pace', () => {
  it('debounces calm reports per issue at the status interval, one group per issue', async () => {
    const { engine, sent } = fakeEngine();
    const send = sender(engine, 3000);
    await send.report({ repo: 'o/r', issueNumber: 7 });
    expect(sent).toEqual([
      {
        how: 'debounced',
        queue: JOBS.report.queue,
        data: { repo: 'o/r', issueNumber: 7 },
        key: 'o/r#7',
        seconds: 3,
        options: { group: { id: 'o/r#7' }, within: undefined },
      },
    ]);
  });

  it('sends urgent reports at once, in the issue’s group, inside the given transaction', async () => {
    const { engine, sent } = fakeEngine();
    const tx = { query: async () => [] };
    await sender(engine, 3000).report({ repo: 'o/r', issueNumber: 7, urgent: true }, tx);
    expect(sent).toEqual([
      {
        how: 'send',
        queue: JOBS.report.queue,
        data: { repo: 'o/r', issueNumber: 7, urgent: true },
        options: { group: { id: 'o/r#7' }, within: tx },
      },
    ]);
  });

  it('sends a settled report to start one interval later, once per issue and interval, apart from the calm ones', async () => {
    const { engine, sent } = fakeEngine();
    await sender(engine, 2500).report({ repo: 'o/r', issueNumber: 7, settled: true });
    expect(sent).toEqual([
      {
        how: 'send',
        queue: JOBS.report.queue,
        data: { repo: 'o/r', issueNumber: 7, settled: true },
        options: {
          group: { id: 'o/r#7' },
          within: undefined,
          singletonKey: 'o/r#7@settled',
          singletonSeconds: 3,
          startAfter: 3,
        },
      },
    ]);
  });

  it('works report jobs one at a time per issue across processes', () => {
    expect(JOBS.report.work().groupConcurrency).toBe(1);
    expect(JOBS.report.work().batchSize).toBeGreaterThan(1);
    expect(JOBS.report.role).toBe('any');
  });
});
