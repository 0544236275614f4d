/**
 * The answer to `/agent plan`: the live runs of a repository in the order they go, each with
 * what it waits for. Pure: runs in, lines out.
 */

export interface OverviewRun {
  issue: number;
  state: 'queued' | 'waiting' | 'running';
  /** Handed to the queue: starts as soon as a worker is free. */
  dispatched: boolean;
  priority: number;
  createdAt: number;
  dependsOn: readonly number[];
  waitingReason: string | null;
}

const STAGE = (run: OverviewRun) => (run.state === 'running' ? 0 : run.dispatched ? 1 : run.state === 'queued' ? 2 : 3);

/** Issues in dependency order (an issue after those it waits for), then by stage, priority and age. */
/**
 * How many dependencies deep each issue sits among `items` (0: none of its dependencies is among
 * them). A cycle is cut where it is entered: the planner stops cycles; here only an order is needed.
 */
export function dependencyDepths(
  items: ReadonlyArray<{ issue: number; dependsOn: readonly number[] }>,
): (issue: number) => number {
  const byIssue = new Map(items.map((item) => [item.issue, item]));
  const depth = new Map<number, number>();
  const visiting = new Set<number>();
  const depthOf = (issue: number): number => {
    const known = depth.get(issue);
    if (known !== undefined) return known;
    if (visiting.has(issue)) return 0;
    visiting.add(issue);
    const value = Math.max(
      0,
      ...(byIssue.get(issue)?.dependsOn ?? []).filter((d) => byIssue.has(d)).map((d) => depthOf(d) + 1),
    );
    visiting.delete(issue);
    depth.set(issue, value);
    return value;
  };
  return depthOf;
}

export function planOrder(runs: readonly OverviewRun[]): OverviewRun[] {
  const depthOf = dependencyDepths(runs);
  return [...runs].sort(
    (a, b) =>
      depthOf(a.issue) - depthOf(b.issue) ||
      STAGE(a) - STAGE(b) ||
      a.priority - b.priority ||
      a.createdAt - b.createdAt,
  );
}

export function describeRun(run: OverviewRun): string {
  if (run.state === 'running') return 'running';
  if (run.dispatched) return 'starting: handed to a worker';
  if (run.state === 'waiting' && run.waitingReason) return run.waitingReason;
  const after = run.dependsOn.length > 0 ? `; after ${run.dependsOn.map((d) => `#${d}`).join(', ')}` : '';
  return `queued: starts when the batch is planned or a slot is free${after}`;
}

/** A short Markdown list, first to go first. */
export function planOverview(runs: readonly OverviewRun[]): string {
  if (runs.length === 0) return 'No run is queued, waiting or running in this repository.';
  return planOrder(runs)
    .map((run, index) => `${index + 1}. #${run.issue} — ${describeRun(run)}`)
    .join('\n');
}
