/**
 * Scheduler benchmark, in simulated time (no agents): 200 random DAGs of 20–200 issues with
 * durations of 1–30 minutes, at concurrency 2, 4 and 8. For Switchyard's scheduler and for
 * level-by-level waves, in the same run: the mean and worst ratio makespan / lower bound.
 * Then the CPU time to plan 1,000 issues with 3,000 dependencies. Last line: JSON.
 */
import { schedule, DEFAULT_PRIORITY, type PlanItem } from '../src/scheduler/schedule.ts';
import { lowerBound, simulateSwitchyard, simulateWaves, type SimTask } from '../src/scheduler/simulate.ts';
import { seededRandom as random } from '../test/support/random.ts';

export function randomDag(rand: () => number, size: number, edges: number): SimTask[] {
  const deps = Array.from({ length: size }, () => new Set<number>());
  let count = 0;
  const limit = Math.min(edges, (size * (size - 1)) / 2);
  while (count < limit) {
    const to = 1 + Math.floor(rand() * (size - 1));
    // Mostly nearby dependencies, sometimes far back: chains and fan-ins both occur.
    const span = rand() < 0.7 ? Math.max(1, Math.floor(rand() * 10)) : Math.floor(rand() * to) + 1;
    const from = Math.max(0, to - span) + 1;
    const set = deps[to];
    if (set && !set.has(from)) {
      set.add(from);
      count += 1;
    }
  }
  return deps.map((set, index) => ({
    id: index + 1,
    dependsOn: [...set],
    durationMs: (1 + Math.floor(rand() * 30)) * 60_000,
  }));
}

const DAGS = 200;
const rand = random(20261121);
const dags = Array.from({ length: DAGS }, () => {
  const size = 20 + Math.floor(rand() * 181);
  return randomDag(rand, size, Math.round(size * 1.5));
});

type Stats = {
  mean_ratio: number;
  worst_ratio: number;
  waves_mean_ratio: number;
  waves_worst_ratio: number;
  uniform_estimates_mean_ratio: number;
};
const concurrency: Record<string, Stats> = {};
for (const c of [2, 4, 8]) {
  const ours: number[] = [];
  const waves: number[] = [];
  const uniform: number[] = [];
  for (const dag of dags) {
    const bound = lowerBound(dag, c);
    ours.push(simulateSwitchyard(dag, c).makespanMs / bound);
    waves.push(simulateWaves(dag, c).makespanMs / bound);
    // Without history every estimate is the same default: the critical path counts issues.
    uniform.push(
      simulateSwitchyard(
        dag.map((t) => ({ ...t, estimateMs: 15 * 60_000 })),
        c,
      ).makespanMs / bound,
    );
  }
  const mean = (xs: number[]) => Number((xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(4));
  const worst = (xs: number[]) => Number(Math.max(...xs).toFixed(4));
  concurrency[String(c)] = {
    mean_ratio: mean(ours),
    worst_ratio: worst(ours),
    waves_mean_ratio: mean(waves),
    waves_worst_ratio: worst(waves),
    uniform_estimates_mean_ratio: mean(uniform),
  };
  console.log(
    `concurrency ${c}: switchyard mean ${mean(ours)} worst ${worst(ours)} · waves mean ${mean(waves)} worst ${worst(waves)} · uniform estimates mean ${mean(uniform)}`,
  );
}

// Planning cost: one scheduler call over 1,000 issues and 3,000 dependencies.
const big = randomDag(random(7), 1000, 3000);
const dependencyCount = big.reduce((sum, t) => sum + t.dependsOn.length, 0);
const items: PlanItem[] = big.map((t) => ({
  runId: String(t.id),
  issue: t.id,
  state: 'queued',
  priority: DEFAULT_PRIORITY,
  createdAt: t.id,
  estimateMs: t.durationMs,
  dependsOn: t.dependsOn,
  foreign: [],
  files: [],
  branch: `agent/${t.id}`,
}));
const facts = Object.fromEntries(big.map((t) => [t.id, { state: 'open' as const }]));
const limits = {
  repoConcurrency: 8,
  globalFree: 8,
  maxOpenPullRequests: null,
  openPullRequests: 0,
  runsPerHour: null,
  startedLastHour: 0,
};
for (let i = 0; i < 5; i++) schedule({ items, facts, release: 'merged', limits });
const REPS = 20;
const cpu = process.cpuUsage();
for (let i = 0; i < REPS; i++) schedule({ items, facts, release: 'merged', limits });
const used = process.cpuUsage(cpu);
const plan1000 = Number(((used.user + used.system) / 1000 / REPS).toFixed(2));
console.log(`plan 1000 issues / ${dependencyCount} dependencies: ${plan1000} ms CPU per plan`);

console.log(
  JSON.stringify({ dags: DAGS, concurrency, plan_1000_ms: plan1000, plan_1000_dependencies: dependencyCount }),
);
