/** The process table, read from /proc: which processes still work inside a folder. */
import { readdir, readlink } from 'node:fs/promises';

export async function processesUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = await readlink(`/proc/${entry}/cwd`);
      if (cwd.startsWith(dir)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked, or is not ours to inspect.
    }
  }
  return pids;
}

/**
 * The processes still working under `dir` once `graceMs` has passed: an agent left behind stays,
 * while Switchyard's own git work there (a mergeability check fetching into the mirror) ends.
 */
export async function processesLeftUnder(dir: string, graceMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + graceMs;
  let left = await processesUnder(dir);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = await processesUnder(dir);
  }
  return left;
}
