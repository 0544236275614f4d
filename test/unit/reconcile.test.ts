import { describe, expect, it } from 'vitest';
import { reconcile, type DispatchedRun, type RunJobView } from '../../src/scheduler/reconcile.ts';

const NOW = 1_000_000;
const run = (id: string, overrides: Partial<DispatchedRun> = {}): DispatchedRun => ({
  id,
  state: 'running',
  attempt: 2,
  dispatchedAt: NOW - 60_000,
  cancelReason: undefined,
  ...overrides,
});
const job = (state: RunJobView['state'], overrides: Partial<RunJobView> = {}): RunJobView => ({
  state,
  retryCount: 1,
  retryLimit: 1,
  settledAt: NOW - 10_000,
  error: undefined,
  ...overrides,
});
const options = { now: NOW, graceMs: 5_000 };

describe('reconcile', () => {
  it('ends a running run whose job failed for good, saying how often it was interrupted and why', () => {
    const repairs = reconcile([run('a')], new Map([['a', job('failed', { error: 'job heartbeat timeout' })]]), options);
    expect(repairs).toEqual([
      {
        runId: 'a',
        action: 'fail',
        reason:
          'Interrupted 2 times: the worker running it stopped (job heartbeat timeout), and no retry is left. Comment `/agent retry` to run it again.',
      },
    ]);
  });

  it('leaves runs whose job is active or waiting for its retry, and a job that settled a moment ago', () => {
    const jobs = new Map([
      ['active', job('active')],
      ['retry', job('retry')],
      ['queued', job('created')],
      ['fresh', job('failed', { settledAt: NOW - 1_000 })],
    ]);
    expect(
      reconcile([run('active'), run('retry'), run('queued', { state: 'queued' }), run('fresh')], jobs, options),
    ).toEqual([]);
  });

  it('ends at once a cancelled run whose worker is gone, and cancels its waiting retry', () => {
    const repairs = reconcile(
      [run('a', { cancelReason: '@maintainer removed the `agent:x` label' })],
      new Map([['a', job('retry')]]),
      options,
    );
    expect(repairs).toEqual([
      {
        runId: 'a',
        action: 'cancel',
        cancelJob: true,
        reason: 'Cancelled: @maintainer removed the `agent:x` label. Its worker had stopped, so it ended at once.',
      },
    ]);
  });

  it('ends a run whose job vanished or ended without it, but not one dispatched a moment ago', () => {
    const repairs = reconcile(
      [run('gone'), run('done'), run('new', { dispatchedAt: NOW - 1_000 })],
      new Map([['done', job('completed')]]),
      options,
    );
    expect(repairs.map((r) => [r.runId, r.action, r.reason.split(',')[0]])).toEqual([
      ['gone', 'fail', 'Its job vanished from the queue'],
      [
        'done',
        'fail',
        'Its job was completed without the run being recorded as ended. Comment `/agent retry` to run it again.',
      ],
    ]);
  });

  it("says a queued run's job failed before it could start", () => {
    const [repair] = reconcile(
      [run('q', { state: 'queued' })],
      new Map([['q', job('failed', { error: 'boom' })]]),
      options,
    );
    expect(repair?.reason).toBe(
      'Its job failed before the run could start (boom), and no retry is left. Comment `/agent retry` to run it again.',
    );
  });
});
