/** The plan report of a finished batch, from its runs' recorded times. Pure. */
import { buildGraph } from './graph.ts';

export interface ReportRun {
  issue: number;
  state: string;
  dependsOn: readonly number[];
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface BatchReport {
  runs: Array<{ issue: number; state: string; waitingMs: number; runningMs: number; totalMs: number }>;
  makespanMs: number;
  sumRunMs: number;
  criticalPath: number[];
  criticalPathMs: number;
  concurrency: number;
  lowerBoundMs: number;
  speedup: number;
  efficiency: number;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

export function batchReport(runs: readonly ReportRun[], concurrency: number): BatchReport {
  const rows = runs.map((run) => {
    const end = run.finishedAt ?? run.startedAt ?? run.createdAt;
    const start = run.startedAt ?? end;
    return {
      issue: run.issue,
      state: run.state,
      waitingMs: start - run.createdAt,
      runningMs: end - start,
      totalMs: end - run.createdAt,
    };
  });
  const first = Math.min(...runs.map((r) => r.createdAt));
  const last = Math.max(...runs.map((r) => r.finishedAt ?? r.createdAt));
  const makespanMs = runs.length ? last - first : 0;
  const sumRunMs = rows.reduce((sum, r) => sum + r.runningMs, 0);
  const graph = buildGraph(
    runs.map((r, i) => ({ id: r.issue, dependsOn: r.dependsOn, estimateMs: rows[i]?.runningMs ?? 0 })),
  );
  const criticalPathMs = graph.criticalPath.reduce(
    (sum, issue) => sum + (rows.find((r) => r.issue === issue)?.runningMs ?? 0),
    0,
  );
  const lowerBoundMs = Math.max(criticalPathMs, sumRunMs / Math.max(concurrency, 1));
  return {
    runs: rows,
    makespanMs,
    sumRunMs,
    criticalPath: graph.criticalPath,
    criticalPathMs,
    concurrency,
    lowerBoundMs,
    speedup: makespanMs > 0 ? round(sumRunMs / makespanMs) : 1,
    efficiency: makespanMs > 0 ? round(lowerBoundMs / makespanMs) : 1,
  };
}
