/**
 * Processes of runs whose Switchyard died (kill -9, a lost machine): each run records who owns
 * it and which process group its agent leads, in its private folder and in a folder of the
 * machine's that every Switchyard process of the same user reads. At start-up, and in every
 * reconciliation sweep, groups whose owner is gone are killed, whichever worker notices first;
 * runs of live processes are not touched.
 */
import { existsSync, lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
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
  const owner = JSON.stringify({ pid: process.pid, groups } satisfies Owner);
  writeFileSync(join(privateDir, OWNER_FILE), owner);
  const registry = machineRegistry();
  if (registry) writeFileSync(join(registry, `${basename(privateDir)}.json`), owner, { mode: 0o600 });
}

/** Forgets a run that ended here: its agents are gone. */
export function forgetOwner(privateDir: string): void {
  const registry = machineRegistry();
  if (registry) rmSync(join(registry, `${basename(privateDir)}.json`), { force: true });
}

/**
 * The machine's folder of run owners for this user: private (0700) and owned by this user, or
 * not used at all, so that nobody else can make Switchyard kill a process group of their choice.
 */
function machineRegistry(): string | undefined {
  const dir = join(tmpdir(), `switchyard-agents-${process.getuid?.() ?? 'user'}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stats = lstatSync(dir);
    if (!stats.isDirectory() || (stats.mode & 0o077) !== 0 || (process.getuid && stats.uid !== process.getuid()))
      return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** Kills the agents of runs on this machine whose Switchyard is gone, whatever its data directory. */
export async function killMachineOrphans(): Promise<number[]> {
  const registry = machineRegistry();
  const killed: number[] = [];
  if (!registry) return killed;
  for (const entry of await readdir(registry)) {
    const path = join(registry, entry);
    const owner = await readOwner(path);
    if (owner && isAlive(owner.pid)) continue;
    killed.push(...killGroups(owner?.groups ?? []));
    await rm(path, { force: true });
  }
  return killed;
}

/**
 * Kills the process groups of runs whose owner is gone and removes their private folders. At
 * start-up this process's own pid counts as gone (a pid can be reused); a periodic sweep passes
 * `spareOwn`, so the runs this process is executing are never touched.
 */
export async function killOrphanedRuns(
  dataDir: string,
  options: { spareOwn?: boolean } = {},
): Promise<{ runs: string[]; groups: number[] }> {
  const runsDir = join(dataDir, 'runs');
  const result = { runs: [] as string[], groups: [] as number[] };
  if (!existsSync(runsDir)) return result;
  for (const runId of await readdir(runsDir)) {
    const dir = join(runsDir, runId);
    const owner = await readOwner(join(dir, OWNER_FILE));
    if (owner && (owner.pid !== process.pid || options.spareOwn) && isAlive(owner.pid)) continue;
    // A folder without an owner file yet belongs to a run that is just starting here.
    if (!owner && options.spareOwn) continue;
    result.groups.push(...killGroups(owner?.groups ?? []));
    await rm(dir, { recursive: true, force: true });
    result.runs.push(runId);
  }
  return result;
}

/** Kills the agents of this process's own runs at once (SIGKILL, no grace): it lost its database. */
export async function killOwnAgents(dataDir: string): Promise<number[]> {
  const runsDir = join(dataDir, 'runs');
  const killed: number[] = [];
  if (!existsSync(runsDir)) return killed;
  for (const runId of await readdir(runsDir)) {
    const owner = await readOwner(join(runsDir, runId, OWNER_FILE));
    if (owner?.pid === process.pid) killed.push(...killGroups(owner.groups));
  }
  return killed;
}

/** SIGKILLs each process group (never 0 or 1); returns the ones that were still there. */
function killGroups(groups: readonly number[]): number[] {
  const killed: number[] = [];
  for (const group of groups) {
    if (!Number.isInteger(group) || group <= 1) continue;
    try {
      process.kill(-group, 'SIGKILL');
      killed.push(group);
    } catch {
      // The group is already gone.
    }
  }
  return killed;
}

/** An owner record, or undefined when there is none (yet) or it cannot be read. */
async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}
