/** Which open pull requests of a base collide with each other, and which one a conflict waits for. */
import { collisions, type MirrorGit } from '../runner/mergeability.ts';
import type { OpenPull, Scope } from './mergeability-scope.ts';

/**
 * Step 1's prediction: open pull requests of one base that conflict with each other even with
 * the union merges a replay uses; whichever merges first makes the other conflict.
 */
export async function predictCollisions(
  pulls: OpenPull[],
  mirror: MirrorGit,
): Promise<Map<number, Array<{ number: number; files: string[] }>>> {
  const byBase = new Map<string, OpenPull[]>();
  for (const pull of pulls) byBase.set(pull.base, [...(byBase.get(pull.base) ?? []), pull]);
  const found = new Map<number, Array<{ number: number; files: string[] }>>();
  const add = (from: number, to: number, files: string[]) =>
    found.set(from, [...(found.get(from) ?? []), { number: to, files }]);
  for (const group of byBase.values()) {
    if (group.length < 2) continue;
    const pairs = await collisions(
      mirror,
      group.slice(0, 20).map((pull) => ({ number: pull.number, sha: pull.headSha })),
      group[0]?.config.pullRequest.unionMerge,
    );
    for (const { a, b, files } of pairs) {
      add(a, b, files);
      add(b, a, files);
    }
  }
  return found;
}

/**
 * An older open pull request this one collides with, which Switchyard will not hand to a person:
 * it merges first (merge queues and maintainers take the oldest first), and its merge would undo
 * a repair made now. Waiting for it spends one agent repair per pull request, not one per merge.
 */
export function olderCollidingSibling(pull: OpenPull, scope: Scope): { number: number } | undefined {
  return scope.collisions
    .get(pull.number)
    ?.find((other) => other.number < pull.number && scope.results.get(other.number)?.action !== 'handed-off');
}
