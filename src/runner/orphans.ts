/**
 * Processes of runs whose Switchyard died (kill -9, a lost machine): each run records who owns
 * it and which process group its agent leads; at start-up, groups whose owner is gone are killed
 * and the run's private folder is removed. Runs of live processes are not touched.
 */
import { existsSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './repo-cache.ts';

interface Owner {
  pid: number;
  groups: number[];
}

const OWNER_FILE = 'owner.json';

/**
 * Records that this process owns the run, and the process groups it started. Synchronous on
 * purpose: called the moment an agent starts, so that a crash right after cannot orphan it.
 */
export function recordOwner(privateDir: string, groups: number[]): void {
  writeFileSync(join(privateDir, OWNER_FILE), JSON.stringify({ pid: process.pid, groups } satisfies Owner));
}

/**
 * Kills the process groups of runs whose owner is gone and removes their private folders. At
 * start-up this process's own pid counts as gone (a pid can be reused); a periodic sweep passes
 * `spareOwn`, so the runs this process is executing are never touched.
 */
export async function killOrphanedRuns(dataDir: string, options: { spareOwn?: boolean } = {}): Promise<{ runs: string[]; groups: number[] }> {
  const runsDir = join(dataDir, 'runs');
  const result = { runs: [] as string[], groups: [] as number[] };
  if (!existsSync(runsDir)) return result;
  for (const runId of await readdir(runsDir)) {
    const dir = join(runsDir, runId);
    let owner: Owner | undefined;
    try {
      owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as Owner;
    } catch {
      owner = undefined;
    }
    if (owner && (owner.pid !== process.pid || options.spareOwn) && isAlive(owner.pid)) continue;
    // A folder without an owner file yet belongs to a run that is just starting here.
    if (!owner && options.spareOwn) continue;
    for (const group of owner?.groups ?? []) {
      try {
        process.kill(-group, 'SIGKILL');
        result.groups.push(group);
      } catch {
        // The group is already gone.
      }
    }
    await rm(dir, { recursive: true, force: true });
    result.runs.push(runId);
  }
  return result;
}
