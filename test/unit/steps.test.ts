import { describe, expect, it } from 'vitest';
import { StepClock, overheadMs } from '../../src/domain/steps.ts';

describe('StepClock', () => {
  it('times steps, adds a step taken twice, and counts a step that throws', async () => {
    const clock = new StepClock();
    await clock.time('fetch', () => new Promise((resolve) => setTimeout(resolve, 30)));
    clock.add('push', 10);
    clock.add('push', 5);
    await expect(clock.time('snapshot', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    const timings = clock.timings;
    expect(timings.fetch).toBeGreaterThanOrEqual(25);
    expect(timings.push).toBe(15);
    expect(timings.snapshot).toBeGreaterThanOrEqual(0);
    expect(timings.agent).toBeUndefined();
  });

  it("merges another clock's steps, and counts all but the agent as overhead", () => {
    const clock = new StepClock();
    clock.add('token', 40);
    clock.merge({ fetch: 100, agent: 5_000, push: 60 });
    expect(clock.timings).toEqual({ token: 40, fetch: 100, agent: 5_000, push: 60 });
    expect(overheadMs(clock.timings)).toBe(200);
  });
});
