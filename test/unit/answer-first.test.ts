import { describe, expect, it } from 'vitest';
import { AnswerFirst } from '../../src/store/answer-first.ts';

/** A piece of work that ends when told to, recording when it started. */
function piece(name: string, started: string[]) {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    work: async () => {
      started.push(name);
      await done;
      return name;
    },
    finish: () => finish(),
  };
}

/** A few turns of the event loop: a piece is handed over on a turn of its own. */
const tick = async () => {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

describe('AnswerFirst', () => {
  it('hands background work over one piece at a time, in the order asked', async () => {
    const lanes = new AnswerFirst();
    const started: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => piece(name, started));
    const results = [a, b, c].map((p) => lanes.background(p!.work));
    await tick();
    expect(started).toEqual(['a']);
    expect(lanes.waiting).toBe(2);
    a!.finish();
    await tick();
    expect(started).toEqual(['a', 'b']);
    b!.finish();
    c!.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
  });

  it('hands pieces over back to back, and gives the event loop a turn once they have held it a slice', async () => {
    const lanes = new AnswerFirst({ sliceMs: 6 });
    const order: string[] = [];
    const busy = (name: string, ms: number) =>
      lanes.background(async () => {
        order.push(name);
        for (const until = performance.now() + ms; performance.now() < until;);
        return Promise.resolve();
      });
    // Quick pieces: no turn of the event loop is paid between them.
    const quick = ['a', 'b', 'c'].map((name) => busy(name, 0));
    setImmediate(() => order.push('event loop'));
    await Promise.all(quick);
    expect(order).toEqual(['a', 'b', 'c']);
    await tick();
    // Slow ones: the event loop gets its turn before the slice is long past.
    order.length = 0;
    const slow = ['d', 'e', 'f', 'g'].map((name) => busy(name, 4));
    setImmediate(() => order.push('event loop'));
    await Promise.all(slow);
    expect(order.filter((name) => name !== 'event loop')).toEqual(['d', 'e', 'f', 'g']);
    expect(order.indexOf('event loop')).toBeGreaterThan(0);
    expect(order.indexOf('event loop')).toBeLessThan(4);
  });

  it('starts an answer at once and holds background work not yet started until answers end', async () => {
    const lanes = new AnswerFirst({ patienceMs: 10_000 });
    const started: string[] = [];
    const first = piece('first', started);
    const queued = piece('queued', started);
    const answer = piece('answer', started);
    const running = lanes.background(first.work);
    const waiting = lanes.background(queued.work);
    await tick();
    const answered = lanes.answer(answer.work);
    await tick();
    // The answer does not wait for the piece in progress in this lane (the database orders those two).
    expect(started).toEqual(['first', 'answer']);
    first.finish();
    await running;
    await tick();
    expect(started).toEqual(['first', 'answer']);
    answer.finish();
    await answered;
    await tick();
    expect(started).toEqual(['first', 'answer', 'queued']);
    queued.finish();
    await waiting;
  });

  it('lets a background piece go once it has waited its patience, however many answers come', async () => {
    const lanes = new AnswerFirst({ patienceMs: 30 });
    const started: string[] = [];
    const endless = piece('answer', started);
    void lanes.answer(endless.work);
    const background = piece('background', started);
    const t = performance.now();
    const result = lanes.background(async () => {
      const waited = performance.now() - t;
      await background.work();
      return waited;
    });
    background.finish();
    expect(await result).toBeGreaterThanOrEqual(25);
    endless.finish();
  });

  it('passes a failure through and goes on with the next piece', async () => {
    const lanes = new AnswerFirst();
    const failed = lanes.background(() => Promise.reject(new Error('boom')));
    const next = lanes.background(() => Promise.resolve('next'));
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('next');
    await expect(lanes.answer(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(await lanes.background(() => Promise.resolve('after'))).toBe('after');
  });
});
