/**
 * The switch tower: given the live runs of one repository and what is known about the issues
 * they depend on, decide which runs start now, why each other one waits, and which are on a
 * dependency cycle. Pure: state in, decisions out — no I/O, no clock, no randomness.
 *
 * Among ready runs the order is: priority label, then the longest remaining critical path
 * (estimated from history), then age. There are no level-by-level barriers: a run starts the
 * moment its dependencies are satisfied and a slot is free.
 */
import type { TerminalState } from '../domain/run.ts';
import { dailyBudgetWait, type DailySpend } from './budget.ts';
import { overlap } from './files.ts';
import { buildGraph, formatCycle, type DependencyGraph } from './graph.ts';

export type ReleaseMode = 'merged' | 'stacked';

export interface PlanItem {
  runId: string;
  issue: number;
  state: 'queued' | 'waiting' | 'running';
  /** 0 (P0, most urgent) to 3; unlabelled issues sit at DEFAULT_PRIORITY. */
  priority: number;
  /** When the trigger arrived, in ms since the epoch (as recorded, never read here). */
  createdAt: number;
  estimateMs: number;
  /** Issues of the same repository this one depends on. */
  dependsOn: readonly number[];
  /** References the scheduler cannot follow, such as issues of other repositories. */
  foreign: readonly string[];
  /** Paths and globs the issue is predicted to touch; empty means unrestricted. */
  files: readonly string[];
  /** The branch the run works on. */
  branch: string;
  /** The operator agent the run uses, for its daily budget. */
  agent?: string | undefined;
}

/** What is known about a referenced issue outside the live runs. */
export interface IssueFact {
  state: 'open' | 'closed' | 'missing';
  /** The latest finished run of that issue, if Switchyard ran one. */
  lastRun?:
    | {
        state: TerminalState;
        branch: string;
        pullRequest: number | null;
      }
    | undefined;
}

export interface Limits {
  /** Runs at once in this repository. */
  repoConcurrency: number;
  /** Free run slots across Switchyard (global concurrency minus runs elsewhere). */
  globalFree: number;
  maxOpenPullRequests: number | null;
  openPullRequests: number;
  runsPerHour: number | null;
  startedLastHour: number;
  /** Daily cost budgets and what has been spent of them today: the repository's, and each agent's that has one. */
  dailySpend?:
    { repository?: DailySpend | undefined; agents?: Readonly<Record<string, DailySpend>> | undefined } | undefined;
}

export interface SchedulerState {
  items: readonly PlanItem[];
  facts: Readonly<Record<number, IssueFact>>;
  release: ReleaseMode;
  limits: Limits;
}

export type Decision =
  | { kind: 'start'; runId: string; issue: number; base: string | undefined }
  | {
      kind: 'wait';
      runId: string;
      issue: number;
      reason: string;
      cause: WaitCause;
      /** Only a free slot is missing: the queued comment already says so. */ slotOnly?: boolean;
    }
  | { kind: 'cycle'; runId: string; issue: number; reason: string; cycle: number[] };

export interface Schedule {
  decisions: Decision[];
  /** Not-running issues by plan order (priority, critical path, age), blocked ones included. */
  order: number[];
  criticalPath: number[];
}

/** What would release a waiting run: a dependency, a conflicting run, a limit, or a person. */
export type WaitCause = 'dependency' | 'conflict' | 'limit' | 'person';

export const DEFAULT_PRIORITY = 2;

type Blocked = { reason: string; cause: WaitCause } | { base: string | undefined };

function blockers(item: PlanItem, state: SchedulerState, live: Map<number, PlanItem>, graph: DependencyGraph): Blocked {
  if (item.foreign.length > 0) {
    return {
      cause: 'person',
      reason: `depends on ${item.foreign.join(', ')} in another repository, which Switchyard cannot follow; a person has to decide (remove the line, or start it again once that is done).`,
    };
  }
  let base: string | undefined;
  const waits: string[] = [];
  for (const dependency of item.dependsOn) {
    const fact = state.facts[dependency];
    if (fact?.state === 'closed') continue;
    if (fact?.state === 'missing')
      return {
        cause: 'person',
        reason: `depends on #${dependency}, which does not exist in this repository; a person has to fix the reference.`,
      };
    const other = live.get(dependency);
    if (other && graph.cyclic.has(dependency)) {
      waits.push(`#${dependency} (on a dependency cycle)`);
      continue;
    }
    if (other) {
      waits.push(`#${dependency} (${other.state === 'running' ? 'running' : 'not started yet'})`);
      continue;
    }
    const last = fact?.lastRun;
    if (state.release === 'stacked' && last?.state === 'succeeded' && last.pullRequest !== null) {
      if (base && base !== last.branch) {
        waits.push(`#${dependency} to be merged (a stacked run builds on one open dependency at a time)`);
        continue;
      }
      base = last.branch;
      continue;
    }
    if (last && last.state !== 'succeeded')
      waits.push(`#${dependency}, whose run ${last.state.replace('_', ' ')} — retry it or close it`);
    else if (last?.pullRequest) waits.push(`#${dependency} (pull request #${last.pullRequest} to be merged)`);
    else waits.push(`#${dependency} to be closed`);
  }
  if (waits.length > 0) return { cause: 'dependency', reason: `waits for ${waits.join(', ')}.` };
  return { base };
}

function byPlanOrder(graph: DependencyGraph) {
  return (a: PlanItem, b: PlanItem): number =>
    a.priority - b.priority ||
    (graph.remaining.get(b.issue) ?? 0) - (graph.remaining.get(a.issue) ?? 0) ||
    a.createdAt - b.createdAt ||
    a.issue - b.issue;
}

export function schedule(state: SchedulerState): Schedule {
  const live = new Map(state.items.map((item) => [item.issue, item]));
  const graph = buildGraph(
    state.items.map((item) => ({ id: item.issue, dependsOn: item.dependsOn, estimateMs: item.estimateMs })),
  );
  const decisions: Decision[] = [];

  for (const cycle of graph.cycles) {
    for (const issue of new Set(cycle)) {
      const item = live.get(issue);
      if (!item || item.state === 'running') continue;
      decisions.push({
        kind: 'cycle',
        runId: item.runId,
        issue,
        cycle,
        reason: `is on a dependency cycle: ${formatCycle(cycle)}. None of these runs; remove one of the dependencies and start them again.`,
      });
    }
  }

  const running = state.items.filter((item) => item.state === 'running');
  const pending = state.items
    .filter((item) => item.state !== 'running' && !graph.cyclic.has(item.issue))
    .sort(byPlanOrder(graph));
  const { limits } = state;
  let slots = Math.min(limits.repoConcurrency - running.length, limits.globalFree);
  let pullRequestBudget =
    limits.maxOpenPullRequests === null
      ? Infinity
      : limits.maxOpenPullRequests - limits.openPullRequests - running.length;
  let hourBudget = limits.runsPerHour === null ? Infinity : limits.runsPerHour - limits.startedLastHour;
  const occupied = [...running];

  for (const item of pending) {
    const blocked = blockers(item, state, live, graph);
    if ('reason' in blocked) {
      decisions.push({
        kind: 'wait',
        runId: item.runId,
        issue: item.issue,
        reason: blocked.reason,
        cause: blocked.cause,
      });
      continue;
    }
    const conflict = occupied
      .map((other) => ({ other, path: overlap(item.files, other.files) }))
      .find((c) => c.path !== undefined);
    if (conflict) {
      decisions.push({
        kind: 'wait',
        runId: item.runId,
        issue: item.issue,
        reason: `waits for #${conflict.other.issue}: both touch ${conflict.path ?? ''}.`,
        cause: 'conflict',
      });
      continue;
    }
    const spent = limits.dailySpend;
    const budget = dailyBudgetWait(
      item.agent ?? '',
      item.agent === undefined ? undefined : spent?.agents?.[item.agent],
      spent?.repository,
    );
    if (budget) {
      decisions.push({ kind: 'wait', runId: item.runId, issue: item.issue, reason: budget, cause: 'limit' });
      continue;
    }
    const limit = limitReached(slots, pullRequestBudget, hourBudget, state.limits, occupied.length);
    if (limit) {
      decisions.push({
        kind: 'wait',
        runId: item.runId,
        issue: item.issue,
        reason: limit,
        cause: 'limit',
        slotOnly: slots <= 0 && pullRequestBudget > 0 && hourBudget > 0,
      });
      continue;
    }
    decisions.push({ kind: 'start', runId: item.runId, issue: item.issue, base: blocked.base });
    occupied.push(item);
    slots -= 1;
    pullRequestBudget -= 1;
    hourBudget -= 1;
  }
  return { decisions, order: pending.map((item) => item.issue), criticalPath: graph.criticalPath };
}

function limitReached(
  slots: number,
  pullRequests: number,
  hour: number,
  limits: Limits,
  runningHere: number,
): string | undefined {
  if (pullRequests <= 0)
    return `waits: this repository has reached its limit of ${String(limits.maxOpenPullRequests)} open Switchyard pull requests (limits.maxOpenPullRequests).`;
  if (hour <= 0)
    return `waits: ${String(limits.runsPerHour)} runs have started in the last hour, the repository's limit (limits.runsPerHour).`;
  if (slots <= 0) {
    return runningHere >= limits.repoConcurrency
      ? `waits for a free slot: ${runningHere} of ${limits.repoConcurrency} runs allowed in this repository are running.`
      : 'waits for a free slot: Switchyard is running as many runs as it is allowed to at once.';
  }
  return undefined;
}
