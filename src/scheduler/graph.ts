/**
 * The dependency graph of a batch: cycles (each named in order, `#4 → #7 → #4`), and for every
 * issue the longest chain of estimated work from it to the end of the plan — its critical path.
 */

export interface GraphNode {
  id: number;
  /** Issues this one waits for. */
  dependsOn: readonly number[];
  estimateMs: number;
}

export interface DependencyGraph {
  /** Each cycle as issue numbers in order, the first repeated at the end. */
  cycles: number[][];
  /** Issues on some cycle. */
  cyclic: Set<number>;
  /** Estimated work from an issue to the end of its longest chain of dependents, itself included. */
  remaining: Map<number, number>;
  /** The longest chain of estimated work through the graph, in order. */
  criticalPath: number[];
  dependents: Map<number, number[]>;
}

/** Tarjan's strongly connected components, iteratively (graphs of thousands of issues are fine). */
function stronglyConnected(ids: number[], edges: Map<number, number[]>): number[][] {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: Array<{ node: number; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (!frame) break;
      const targets = edges.get(frame.node) ?? [];
      if (frame.next < targets.length) {
        const target = targets[frame.next++] as number;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(target) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: number[] = [];
        for (;;) {
          const member = stack.pop() as number;
          onStack.delete(member);
          component.push(member);
          if (member === frame.node) break;
        }
        components.push(component);
      }
    }
  }
  return components;
}

/** One cycle through a strongly connected component, starting at its smallest issue. */
function cycleThrough(component: number[], edges: Map<number, number[]>): number[] {
  const members = new Set(component);
  const start = Math.min(...component);
  const previous = new Map<number, number>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const node = queue.shift() as number;
    for (const target of [...(edges.get(node) ?? [])].sort((a, b) => a - b)) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at) as number) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!seen.has(target)) {
        seen.add(target);
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

export function buildGraph(nodes: readonly GraphNode[]): DependencyGraph {
  const known = new Map(nodes.map((n) => [n.id, n]));
  const ids = nodes.map((n) => n.id);
  // An edge runs from an issue to each dependency inside the graph.
  const edges = new Map<number, number[]>();
  const dependents = new Map<number, number[]>();
  for (const node of nodes) {
    const inside = node.dependsOn.filter((d) => known.has(d));
    edges.set(node.id, inside);
    for (const dependency of inside) dependents.set(dependency, [...(dependents.get(dependency) ?? []), node.id]);
  }

  const cycles: number[][] = [];
  const cyclic = new Set<number>();
  for (const component of stronglyConnected(ids, edges)) {
    const single = component[0] as number;
    const selfLoop = component.length === 1 && (edges.get(single) ?? []).includes(single);
    if (component.length > 1 || selfLoop) {
      cycles.push(selfLoop ? [single, single] : cycleThrough(component, edges));
      for (const member of component) cyclic.add(member);
    }
  }
  cycles.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));

  // Longest remaining work, by memoized depth-first search over the acyclic part.
  const remaining = new Map<number, number>();
  const next = new Map<number, number | undefined>();
  const visit = (root: number): number => {
    const stack: Array<{ id: number; expanded: boolean }> = [{ id: root, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { id: number; expanded: boolean };
      if (remaining.has(top.id)) {
        stack.pop();
        continue;
      }
      const children = (dependents.get(top.id) ?? []).filter((c) => !cyclic.has(c));
      if (!top.expanded) {
        top.expanded = true;
        for (const child of children) if (!remaining.has(child)) stack.push({ id: child, expanded: false });
        continue;
      }
      let best = 0;
      let bestChild: number | undefined;
      for (const child of children) {
        const value = remaining.get(child) ?? 0;
        if (value > best || (value === best && bestChild !== undefined && child < bestChild)) {
          best = value;
          bestChild = child;
        }
      }
      remaining.set(top.id, (known.get(top.id)?.estimateMs ?? 0) + best);
      next.set(top.id, bestChild);
      stack.pop();
    }
    return remaining.get(root) ?? 0;
  };
  let head: number | undefined;
  let longest = -1;
  for (const id of ids) {
    if (cyclic.has(id)) continue;
    const value = visit(id);
    if (value > longest) {
      longest = value;
      head = id;
    }
  }
  const criticalPath: number[] = [];
  for (let at = head; at !== undefined; at = next.get(at)) criticalPath.push(at);

  return { cycles, cyclic, remaining, criticalPath, dependents };
}

export function formatCycle(cycle: readonly number[]): string {
  return cycle.map((n) => `#${n}`).join(' → ');
}
