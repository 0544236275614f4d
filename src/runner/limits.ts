/**
 * Resource limits for an agent or check process and everything it starts: memory, processes and
 * CPU through a cgroup of its own (cgroup v1 controllers or the v2 unified tree, where Switchyard
 * may create one), output counted by Switchyard itself. A process joins its cgroup before it
 * becomes the agent (a shell writes its own pid, then execs), so nothing it forks escapes; what
 * is left in the cgroup at the end is killed, and the cgroup removed.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bytes from 'bytes';
import type { LimitHit, ResourceLimits } from '../domain/limits.ts';

/** Where this machine lets Switchyard make cgroups, if anywhere. */
export type CgroupSupport =
  | { kind: 'v1'; controllers: { memory?: string; pids?: string; cpu?: string } }
  | { kind: 'v2'; root: string }
  /** No cgroup: `prlimit` (util-linux), where present, sets rlimits instead. */
  | { kind: 'none'; why: string; prlimit?: string | undefined };

const PARENT = 'switchyard';

async function writable(dir: string): Promise<boolean> {
  const probe = join(dir, `${PARENT}-probe-${process.pid}`);
  try {
    await mkdir(probe);
    await rmdir(probe);
    return true;
  } catch {
    return false;
  }
}

/** Finds out once, at a worker's start, which cgroups Switchyard may create under `root`. */
export async function detectCgroups(root = '/sys/fs/cgroup'): Promise<CgroupSupport> {
  if (existsSync(join(root, 'cgroup.controllers'))) {
    const available = (await readFile(join(root, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
    if (!available.includes('memory') || !available.includes('pids'))
      return { kind: 'none', why: 'cgroup v2 without the memory and pids controllers', prlimit: findPrlimit() };
    const parent = join(root, PARENT);
    try {
      await mkdir(parent, { recursive: true });
      await writeFile(join(root, 'cgroup.subtree_control'), '+memory +pids +cpu').catch(() =>
        writeFile(join(root, 'cgroup.subtree_control'), '+memory +pids'),
      );
      await writeFile(join(parent, 'cgroup.subtree_control'), '+memory +pids +cpu').catch(() =>
        writeFile(join(parent, 'cgroup.subtree_control'), '+memory +pids'),
      );
      return { kind: 'v2', root: parent };
    } catch (error) {
      return {
        kind: 'none',
        why: `cgroup v2 is not writable here (${(error as Error).message})`,
        prlimit: findPrlimit(),
      };
    }
  }
  const controllers: { memory?: string; pids?: string; cpu?: string } = {};
  for (const name of ['memory', 'pids', 'cpu'] as const) {
    const dir = join(root, name);
    if (!existsSync(dir) || !(await writable(dir))) continue;
    await mkdir(join(dir, PARENT), { recursive: true }).catch(() => undefined);
    if (existsSync(join(dir, PARENT))) controllers[name] = join(dir, PARENT);
  }
  if (!controllers.memory || !controllers.pids)
    return {
      kind: 'none',
      why: 'no writable memory and pids cgroup (v1) or unified hierarchy (v2) under /sys/fs/cgroup',
      prlimit: findPrlimit(),
    };
  return { kind: 'v1', controllers };
}

function findPrlimit(): string | undefined {
  return ['/usr/bin/prlimit', '/bin/prlimit'].find((path) => existsSync(path));
}

/**
 * Removes the cgroups a crashed worker left behind: those of `endedRuns` (runs whose owner is
 * gone, found by the orphan sweep), after killing what is still in them, those that left the
 * agent's process group included. Nothing else is touched: an empty cgroup may be one another
 * worker has just made for a run that is starting. Returns how many it removed.
 */
export async function removeLeftoverCgroups(support: CgroupSupport, endedRuns: readonly string[]): Promise<number> {
  const ended = new Set(endedRuns.flatMap((run) => [cgroupName(run), cgroupName(`${run}-check`)]));
  const parents =
    support.kind === 'v2'
      ? [support.root]
      : support.kind === 'v1'
        ? Object.values(support.controllers).filter((dir): dir is string => dir !== undefined)
        : [];
  let removed = 0;
  for (const parent of parents) {
    const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || !ended.has(entry.name)) continue;
      await killProcessesIn([join(parent, entry.name)]);
      await rmdir(join(parent, entry.name)).then(
        () => removed++,
        () => undefined,
      );
    }
  }
  return removed;
}

/** One line for `switchyard doctor` and the worker's start: which limits hold here. */
export function describeSupport(support: CgroupSupport): string {
  if (support.kind === 'none' && support.prlimit)
    return `no cgroup (${support.why}): memory is limited per process (RLIMIT_DATA), processes per agent account across its runs (RLIMIT_NPROC, not for root), CPU not at all; output and worktree limits hold`;
  if (support.kind === 'none')
    return `memory, process and CPU limits are not enforced: ${support.why}, and no prlimit; output and worktree limits hold`;
  const cpu = support.kind === 'v2' || support.controllers.cpu ? ', CPU' : '';
  return `memory, processes${cpu}, output and worktree limited per run (cgroup ${support.kind})`;
}

/** `4 GiB`, `512 MiB`. */
export function formatBytes(value: number): string {
  return (bytes.format(value, { unitSeparator: ' ' }) ?? `${value} B`).replace(/([KMGT])B$/, '$1iB');
}

async function readCounter(file: string, key: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** The cgroup(s) of one process tree. */
export class RunCgroup {
  readonly #dirs: string[];
  readonly #support: Exclude<CgroupSupport, { kind: 'none' }>;

  private constructor(support: Exclude<CgroupSupport, { kind: 'none' }>, dirs: string[]) {
    this.#support = support;
    this.#dirs = dirs;
  }

  /** A new cgroup named `name` with `limits`, or `undefined` where the machine allows none. */
  static async create(support: CgroupSupport, name: string, limits: ResourceLimits): Promise<RunCgroup | undefined> {
    if (support.kind === 'none') return undefined;
    const safe = cgroupName(name);
    if (support.kind === 'v2') {
      const dir = join(support.root, safe);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'memory.max'), String(limits.memoryBytes));
      await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => undefined);
      await writeFile(join(dir, 'pids.max'), String(limits.processes));
      await writeFile(join(dir, 'cpu.max'), `${Math.round(limits.cpus * 100_000)} 100000`).catch(() => undefined);
      return new RunCgroup(support, [dir]);
    }
    const { memory, pids, cpu } = support.controllers;
    const dirs: string[] = [];
    if (memory) {
      const dir = join(memory, safe);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // With swap accounting, memory and swap together: a runaway agent does not swap the host out.
      await writeFile(join(dir, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => undefined);
      dirs.push(dir);
    }
    if (pids) {
      const dir = join(pids, safe);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'pids.max'), String(limits.processes));
      dirs.push(dir);
    }
    if (cpu) {
      const dir = join(cpu, safe);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'cpu.cfs_period_us'), '100000').catch(() => undefined);
      await writeFile(join(dir, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * 100_000))).catch(() => undefined);
      dirs.push(dir);
    }
    return new RunCgroup(support, dirs);
  }

  /**
   * The argv that joins this cgroup and then runs `argv` (as `user`, when given: the joining is
   * done as root, so the account needs no right to the cgroup).
   */
  wrap(argv: readonly string[], user?: { uid: number; gid: number }): string[] {
    const files = this.#dirs.map((dir) => join(dir, 'cgroup.procs'));
    const drop = user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--'] : [];
    return [
      'sh',
      '-c',
      'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"',
      'switchyard-limits',
      String(files.length),
      ...files,
      ...drop,
      ...argv,
    ];
  }

  /** The limit the process tree went past: its memory (the kernel killed in it), or its processes (a fork was refused). */
  async exceeded(): Promise<LimitHit | undefined> {
    if (this.#support.kind === 'v2') {
      const [dir = ''] = this.#dirs;
      if ((await readCounter(join(dir, 'memory.events'), 'oom_kill')) > 0) return 'memory';
      if ((await readCounter(join(dir, 'pids.events'), 'max')) > 0) return 'processes';
      return undefined;
    }
    for (const dir of this.#dirs) {
      if (
        existsSync(join(dir, 'memory.oom_control')) &&
        (await readCounter(join(dir, 'memory.oom_control'), 'oom_kill')) > 0
      )
        return 'memory';
      if (existsSync(join(dir, 'pids.events')) && (await readCounter(join(dir, 'pids.events'), 'max')) > 0)
        return 'processes';
    }
    return undefined;
  }

  /** Kills whatever is still in the cgroup, then removes it. */
  async remove(): Promise<void> {
    await this.killAll();
    for (const dir of this.#dirs) await rmdir(dir).catch(() => undefined);
  }

  /** Kills every process in the cgroup, those that left the agent's process group and session included. */
  async killAll(): Promise<void> {
    await killProcessesIn(this.#dirs);
  }
}

/** The cgroup folder name of a run (or of its checks). */
function cgroupName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '-');
}

/** SIGKILLs what is in the cgroups, again until none is left (a process may fork while it dies). */
async function killProcessesIn(dirs: readonly string[]): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = new Set<number>();
    for (const dir of dirs) {
      for (const line of (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n'))
        if (line.trim()) pids.add(Number(line));
    }
    if (pids.size === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Without a cgroup, the argv that runs `argv` under rlimits: memory per process (RLIMIT_DATA,
 * which counts what a process writes to, not the address space a runtime reserves), and
 * processes by RLIMIT_NPROC, which the kernel counts per account: the agent account's runs share
 * it, and root is not held by it. A limit reached this way fails the process (an allocation or a
 * fork refused) rather than being named.
 */
export function rlimitArgv(support: CgroupSupport, argv: readonly string[], limits: ResourceLimits): readonly string[] {
  if (support.kind !== 'none' || !support.prlimit) return argv;
  return [support.prlimit, `--data=${limits.memoryBytes}`, `--nproc=${limits.processes}`, '--', ...argv];
}

/** The sentence a run stopped by a limit ends with. */
export function limitSentence(hit: LimitHit, limits: ResourceLimits, seconds: string): string {
  switch (hit) {
    case 'memory':
      return `Stopped after ${seconds} s: the agent used more than its ${formatBytes(limits.memoryBytes)} of memory (\`limits.memory\`).`;
    case 'processes':
      return `Stopped after ${seconds} s: the agent tried to run more than its ${limits.processes} processes at once (\`limits.processes\`).`;
    case 'output':
      return `Stopped after ${seconds} s: the agent printed more than its ${formatBytes(limits.outputBytes)} of output (\`limits.output\`).`;
    case 'worktree':
      return `Stopped after ${seconds} s: the agent wrote more than its ${formatBytes(limits.worktreeBytes)} to its worktree (\`limits.worktree\`).`;
  }
}
