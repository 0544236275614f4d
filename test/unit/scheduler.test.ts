import { describe, expect, it } from 'vitest';
import { buildGraph, formatCycle } from '../../src/scheduler/graph.ts';
import {
  DEFAULT_PRIORITY,
  schedule,
  type IssueFact,
  type Limits,
  type PlanItem,
  type SchedulerState,
} from '../../src/scheduler/schedule.ts';
import { lowerBound, simulateSwitchyard, simulateWaves, type SimTask } from '../../src/scheduler/simulate.ts';

const MINUTE = 60_000;

function item(issue: number, overrides: Partial<PlanItem> = {}): PlanItem {
  return {
    runId: `run-${issue}`,
    issue,
    state: 'queued',
    priority: DEFAULT_PRIORITY,
    createdAt: issue,
    estimateMs: 10 * MINUTE,
    dependsOn: [],
    foreign: [],
    files: [],
    branch: `agent/${issue}`,
    ...overrides,
  };
}

const OPEN: Limits = {
  repoConcurrency: 4,
  globalFree: 4,
  maxOpenPullRequests: null,
  openPullRequests: 0,
  runsPerHour: null,
  startedLastHour: 0,
};

function state(
  items: PlanItem[],
  facts: Record<number, IssueFact> = {},
  limits: Partial<Limits> = {},
  release: 'merged' | 'stacked' = 'merged',
): SchedulerState {
  return { items, facts, release, limits: { ...OPEN, ...limits } };
}

const started = (s: SchedulerState) =>
  schedule(s)
    .decisions.filter((d) => d.kind === 'start')
    .map((d) => d.issue);
const reasonOf = (s: SchedulerState, issue: number) => {
  const decision = schedule(s).decisions.find((d) => d.issue === issue);
  return decision && 'reason' in decision ? decision.reason : undefined;
};

describe('buildGraph', () => {
  it('names each cycle in order, from its smallest issue', () => {
    const graph = buildGraph([
      { id: 4, dependsOn: [7], estimateMs: 1 },
      { id: 7, dependsOn: [4], estimateMs: 1 },
      { id: 9, dependsOn: [9], estimateMs: 1 },
      { id: 10, dependsOn: [11], estimateMs: 1 },
      { id: 11, dependsOn: [12], estimateMs: 1 },
      { id: 12, dependsOn: [10], estimateMs: 1 },
      { id: 1, dependsOn: [], estimateMs: 1 },
    ]);
    expect(graph.cycles.map(formatCycle)).toEqual(['#4 → #7 → #4', '#9 → #9', '#10 → #11 → #12 → #10']);
    expect([...graph.cyclic].sort((a, b) => a - b)).toEqual([4, 7, 9, 10, 11, 12]);
  });

  it('finds the critical path through a diamond, and ignores missing nodes', () => {
    const graph = buildGraph([
      { id: 1, dependsOn: [], estimateMs: 5 },
      { id: 2, dependsOn: [1], estimateMs: 20 },
      { id: 3, dependsOn: [1], estimateMs: 3 },
      { id: 4, dependsOn: [2, 3, 99], estimateMs: 5 },
    ]);
    expect(graph.cycles).toEqual([]);
    expect(graph.criticalPath).toEqual([1, 2, 4]);
    expect(graph.remaining.get(1)).toBe(30);
    expect(graph.remaining.get(3)).toBe(8);
  });
});

describe('schedule', () => {
  it('starts only issues whose dependencies are satisfied, and says what the others wait for', () => {
    const s = state([item(1), item(2, { dependsOn: [1] }), item(3, { dependsOn: [8] })], { 8: { state: 'closed' } });
    expect(started(s)).toEqual([1, 3]);
    expect(reasonOf(s, 2)).toBe('waits for #1 (not started yet).');
  });

  it('keeps a cycle from running, names it, and lets the rest proceed', () => {
    const s = state([item(4, { dependsOn: [7] }), item(7, { dependsOn: [4] }), item(5), item(6, { dependsOn: [4] })]);
    const decisions = schedule(s).decisions;
    expect(decisions.filter((d) => d.kind === 'cycle').map((d) => d.issue)).toEqual([4, 7]);
    expect(reasonOf(s, 4)).toContain('#4 → #7 → #4');
    expect(started(s)).toEqual([5]);
    expect(reasonOf(s, 6)).toBe('waits for #4 (on a dependency cycle).');
  });

  it('waits for a person on a missing issue or another repository', () => {
    const s = state([item(1, { dependsOn: [404] }), item(2, { foreign: ['other/repo#3'] })], {
      404: { state: 'missing' },
    });
    expect(started(s)).toEqual([]);
    expect(reasonOf(s, 1)).toContain('#404, which does not exist');
    expect(reasonOf(s, 2)).toContain('other/repo#3 in another repository');
  });

  it('in merged mode waits for the pull request of a finished dependency, and for a failed one to be retried', () => {
    const facts: Record<number, IssueFact> = {
      1: { state: 'open', lastRun: { state: 'succeeded', branch: 'agent/1', pullRequest: 10 } },
      2: { state: 'open', lastRun: { state: 'failed', branch: 'agent/2', pullRequest: null } },
    };
    const s = state([item(3, { dependsOn: [1] }), item(4, { dependsOn: [2] })], facts);
    expect(started(s)).toEqual([]);
    expect(reasonOf(s, 3)).toBe('waits for #1 (pull request #10 to be merged).');
    expect(reasonOf(s, 4)).toContain('#2, whose run failed');
  });

  it('in stacked mode starts on the branch of a succeeded dependency', () => {
    const facts: Record<number, IssueFact> = {
      1: { state: 'open', lastRun: { state: 'succeeded', branch: 'agent/1-x', pullRequest: 10 } },
    };
    const decisions = schedule(state([item(3, { dependsOn: [1] })], facts, {}, 'stacked')).decisions;
    expect(decisions).toEqual([{ kind: 'start', runId: 'run-3', issue: 3, base: 'agent/1-x' }]);
  });

  it('orders by priority, then longest remaining critical path, then age', () => {
    const items = [
      item(1, { createdAt: 1 }),
      item(2, { createdAt: 2, priority: 0 }),
      item(3, { createdAt: 3, estimateMs: 5 * MINUTE }),
      item(4, { createdAt: 4, dependsOn: [3], estimateMs: 30 * MINUTE }),
      item(5, { createdAt: 0 }),
    ];
    expect(schedule(state(items, {}, { repoConcurrency: 1, globalFree: 1 })).order).toEqual([2, 3, 4, 5, 1]);
  });

  it('does not run two issues that touch the same file at once', () => {
    const s = state([
      item(1, { state: 'running', files: ['src/config.ts'] }),
      item(2, { files: ['src/config.ts', 'a.md'] }),
      item(3, { files: ['src/**'] }),
      item(4, { files: [] }),
    ]);
    expect(started(s)).toEqual([4]);
    expect(reasonOf(s, 2)).toBe('waits for #1: both touch src/config.ts.');
    expect(reasonOf(s, 3)).toBe('waits for #1: both touch src/config.ts.');
  });

  it('says which limit holds a run', () => {
    const two = [item(1), item(2)];
    expect(reasonOf(state([item(9, { state: 'running' }), ...two], {}, { repoConcurrency: 2 }), 2)).toContain(
      '2 of 2 runs allowed in this repository',
    );
    expect(reasonOf(state(two, {}, { globalFree: 1 }), 2)).toContain('as many runs as it is allowed to at once');
    expect(reasonOf(state(two, {}, { maxOpenPullRequests: 3, openPullRequests: 2 }), 2)).toContain(
      'limit of 3 open Switchyard pull requests',
    );
    expect(reasonOf(state(two, {}, { runsPerHour: 5, startedLastHour: 4 }), 2)).toContain(
      '5 runs have started in the last hour',
    );
  });
});

describe('simulation', () => {
  // Two chains of different length and a loose task: the long chain must start first.
  const tasks: SimTask[] = [
    { id: 1, dependsOn: [], durationMs: 10 * MINUTE },
    { id: 2, dependsOn: [1], durationMs: 10 * MINUTE },
    { id: 3, dependsOn: [2], durationMs: 10 * MINUTE },
    { id: 4, dependsOn: [], durationMs: 10 * MINUTE },
    { id: 5, dependsOn: [4], durationMs: 1 * MINUTE },
    { id: 6, dependsOn: [], durationMs: 12 * MINUTE },
  ];

  it('replays a batch in simulated time: critical chain first, no barriers, makespan at the bound', () => {
    const result = simulateSwitchyard(tasks, 2);
    expect(result.startOrder.slice(0, 2)).toEqual([1, 6]);
    expect(result.starts.get(2)).toBe(10 * MINUTE);
    expect(result.makespanMs).toBe(lowerBound(tasks, 2));
    expect(result.makespanMs).toBe(30 * MINUTE);
  });

  it('beats level-by-level waves on the same batch', () => {
    expect(simulateWaves(tasks, 2).makespanMs).toBeGreaterThan(simulateSwitchyard(tasks, 2).makespanMs);
  });
});
