/**
 * Replaying a batch in simulated time: the scheduler's own decisions, one event at a time, or
 * level-by-level waves (every run of a level finishes before the next level starts) for
 * comparison. Pure and deterministic; used by the simulation test and the scheduler benchmark.
 */
import { DEFAULT_PRIORITY, schedule, type IssueFact, type PlanItem } from './schedule.ts';

export interface SimTask {
  id: number;
  dependsOn: readonly number[];
  durationMs: number;
  /** What the scheduler believes the duration is; the real one when omitted. */
  estimateMs?: number;
  priority?: number;
  files?: readonly string[];
}

export interface SimResult {
  makespanMs: number;
  /** Start time of each task. */
  starts: Map<number, number>;
  /** Order in which tasks started. */
  startOrder: number[];
}

export function simulateSwitchyard(tasks: readonly SimTask[], concurrency: number): SimResult {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const done = new Set<number>();
  const running = new Map<number, number>();
  const starts = new Map<number, number>();
  const startOrder: number[] = [];
  let now = 0;
  while (done.size < tasks.length) {
    const items: PlanItem[] = [];
    const facts: Record<number, IssueFact> = {};
    for (const task of tasks) {
      for (const dependency of task.dependsOn) facts[dependency] = { state: done.has(dependency) ? 'closed' : 'open' };
      if (done.has(task.id)) continue;
      items.push({
        runId: String(task.id),
        issue: task.id,
        state: running.has(task.id) ? 'running' : 'queued',
        priority: task.priority ?? DEFAULT_PRIORITY,
        createdAt: 0,
        estimateMs: task.estimateMs ?? task.durationMs,
        dependsOn: task.dependsOn,
        foreign: [],
        files: task.files ?? [],
        branch: `agent/${task.id}`,
      });
    }
    const { decisions } = schedule({
      items,
      facts,
      release: 'merged',
      limits: {
        repoConcurrency: concurrency,
        globalFree: concurrency,
        maxOpenPullRequests: null,
        openPullRequests: 0,
        runsPerHour: null,
        startedLastHour: 0,
      },
    });
    for (const decision of decisions) {
      if (decision.kind === 'cycle') throw new Error(`cycle in simulated batch: ${decision.reason}`);
      if (decision.kind !== 'start') continue;
      const task = byId.get(decision.issue) as SimTask;
      running.set(task.id, now + task.durationMs);
      starts.set(task.id, now);
      startOrder.push(task.id);
    }
    if (running.size === 0) throw new Error('simulated batch cannot make progress');
    now = Math.min(...running.values());
    for (const [id, end] of running) {
      if (end <= now) {
        running.delete(id);
        done.add(id);
      }
    }
  }
  return { makespanMs: now, starts, startOrder };
}

/** Depth of each task: 0 for tasks without dependencies, else 1 + the deepest dependency. */
export function levels(tasks: readonly SimTask[]): Map<number, number> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const depth = new Map<number, number>();
  const visit = (id: number): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const task = byId.get(id);
    const value = task && task.dependsOn.length > 0 ? 1 + Math.max(...task.dependsOn.map(visit)) : 0;
    depth.set(id, value);
    return value;
  };
  for (const task of tasks) visit(task.id);
  return depth;
}

/** Level-by-level waves, each level packed longest-first onto `concurrency` slots. */
export function simulateWaves(tasks: readonly SimTask[], concurrency: number): SimResult {
  const depth = levels(tasks);
  const maxLevel = Math.max(0, ...depth.values());
  const starts = new Map<number, number>();
  const startOrder: number[] = [];
  let now = 0;
  for (let level = 0; level <= maxLevel; level++) {
    const wave = tasks.filter((t) => depth.get(t.id) === level).sort((a, b) => b.durationMs - a.durationMs);
    const slots = Array.from({ length: concurrency }, () => now);
    for (const task of wave) {
      const slot = slots.indexOf(Math.min(...slots));
      starts.set(task.id, slots[slot] ?? now);
      startOrder.push(task.id);
      slots[slot] = (slots[slot] ?? now) + task.durationMs;
    }
    now = Math.max(now, ...slots);
  }
  return { makespanMs: now, starts, startOrder };
}

/** max(critical path, total work / concurrency): no schedule can finish sooner. */
export function lowerBound(tasks: readonly SimTask[], concurrency: number): number {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const finish = new Map<number, number>();
  const visit = (id: number): number => {
    const known = finish.get(id);
    if (known !== undefined) return known;
    const task = byId.get(id);
    if (!task) return 0;
    const value = task.durationMs + Math.max(0, ...task.dependsOn.map(visit));
    finish.set(id, value);
    return value;
  };
  let critical = 0;
  for (const task of tasks) critical = Math.max(critical, visit(task.id));
  const total = tasks.reduce((sum, t) => sum + t.durationMs, 0);
  return Math.max(critical, total / concurrency);
}
