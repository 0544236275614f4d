import { describe, expect, it } from 'vitest';
import { assignLanes, layoutGraph } from '../../src/web/dashboard/layout.ts';

describe('dashboard layout', () => {
  it('puts runs in the first lane free when they started, so lanes read as slots', () => {
    const lanes = assignLanes(
      [
        { id: 'a', start: 0, end: 10 },
        { id: 'b', start: 2, end: 5 },
        { id: 'c', start: 5, end: 8 },
        { id: 'd', start: 6, end: undefined },
        { id: 'e', start: 11, end: 12 },
      ],
      20,
    );
    expect(Object.fromEntries(lanes)).toEqual({ a: 0, b: 1, c: 1, d: 2, e: 0 });
  });

  it('puts each issue in a column by its dependency depth, and survives a cycle', () => {
    const positions = layoutGraph([
      { issue: 1, dependsOn: [] },
      { issue: 2, dependsOn: [1] },
      { issue: 3, dependsOn: [1, 99] },
      { issue: 4, dependsOn: [2, 3] },
      { issue: 5, dependsOn: [6] },
      { issue: 6, dependsOn: [5] },
    ]);
    expect(Object.fromEntries(positions)).toEqual({
      1: { column: 0, row: 0 },
      2: { column: 1, row: 0 },
      3: { column: 1, row: 1 },
      4: { column: 2, row: 0 },
      // The cycle is cut where it was entered: 5 → 6 → (5 taken as a root).
      5: { column: 2, row: 1 },
      6: { column: 1, row: 2 },
    });
  });
});
