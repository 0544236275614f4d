/**
 * Where things go on the dashboard's pictures. Pure: runs in, coordinates out.
 *
 * - The timeline (a Gantt chart) puts each run in a lane, the first lane free when it started, so
 *   that the lanes read as slots: how many ran at once, and what waited.
 * - The dependency graph puts each issue in a column by how many dependencies deep it sits.
 */
import { dependencyDepths } from '../../scheduler/overview.ts';

export interface TimedRun {
  id: string;
  start: number;
  /** Still running when undefined: it reaches `now`. */
  end: number | undefined;
}

/** Lane index of each run, by id; runs that never started are left out. */
export function assignLanes(runs: readonly TimedRun[], now: number): Map<string, number> {
  const laneEnds: number[] = [];
  const lanes = new Map<string, number>();
  for (const run of [...runs].sort((a, b) => a.start - b.start || a.id.localeCompare(b.id))) {
    const end = run.end ?? now;
    let lane = laneEnds.findIndex((laneEnd) => laneEnd <= run.start);
    if (lane === -1) lane = laneEnds.push(end) - 1;
    else laneEnds[lane] = end;
    lanes.set(run.id, lane);
  }
  return lanes;
}

export interface GraphNode {
  issue: number;
  dependsOn: readonly number[];
}

/** Column (dependency depth) and row of each issue; dependencies outside `nodes` are ignored, cycles cut. */
export function layoutGraph(nodes: readonly GraphNode[]): Map<number, { column: number; row: number }> {
  const depthOf = dependencyDepths(nodes.map((node) => ({ issue: node.issue, dependsOn: node.dependsOn })));
  const rows = new Map<number, number>();
  const positions = new Map<number, { column: number; row: number }>();
  for (const node of [...nodes].sort((a, b) => a.issue - b.issue)) {
    const column = depthOf(node.issue);
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    positions.set(node.issue, { column, row });
  }
  return positions;
}
