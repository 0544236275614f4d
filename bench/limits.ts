/**
 * Runaway agents against their limits, on this machine's cgroups: how long each limit takes to
 * stop its agent, and Switchyard's own peak memory (RSS) while an agent floods its output up to
 * the default 200 MiB and while a large change (BENCH_CHANGE_MIB, 80 MiB of real bytes) is
 * committed from the trusted side. Last line: JSON.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { DEFAULT_LIMITS } from '../src/domain/limits.ts';
import { detectCgroups, describeSupport } from '../src/runner/limits.ts';
import { runProcess } from '../src/runner/process.ts';
import { snapshot } from '../src/runner/snapshot.ts';

const CHANGE_MIB = Number(process.env.BENCH_CHANGE_MIB ?? 80);
const support = await detectCgroups();
const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-limits-'));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' };

/** Runs `work` while sampling this process's RSS; returns its result and the peak growth in MiB. */
async function peakDuring<T>(work: () => Promise<T>): Promise<{ result: T; peakMib: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const result = await work();
    return { result, peakMib: Number(((Math.max(peak, process.memoryUsage().rss) - base) / 1024 ** 2).toFixed(1)) };
  } finally {
    clearInterval(timer);
  }
}

const limited = (argv: string[], limits: Partial<typeof DEFAULT_LIMITS>, name: string) =>
  runProcess(argv, {
    cwd: dir,
    env,
    timeoutMs: 120_000,
    limits: { values: { ...DEFAULT_LIMITS, ...limits }, support, name: `bench-${name}-${process.pid}` },
  });

try {
  const memory = await limited(
    [process.execPath, '-e', 'const held = []; for (;;) held.push(Buffer.alloc(32 * 1024 * 1024, 1));'],
    { memoryBytes: 512 * 1024 ** 2 },
    'memory',
  );
  const forks = await limited(
    ['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do setsid sleep 60 & i=$((i + 1)); done; sleep 60'],
    { processes: 256 },
    'processes',
  );
  const flood = await peakDuring(() => limited(['yes', 'a line of output that floods the log'], {}, 'output'));

  // A large change, committed the way a run's result is: a private index, `git add`, `commit-tree`.
  const repo = join(dir, 'repo');
  await execa('git', ['init', '-q', '-b', 'main', repo]);
  await writeFile(join(repo, 'README.md'), '# bench\n');
  await execa('git', ['-C', repo, 'add', '.']);
  await execa('git', ['-C', repo, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'base']);
  const base = (await execa('git', ['-C', repo, 'rev-parse', 'HEAD'])).stdout;
  await writeFile(join(repo, 'data.bin'), randomBytes(CHANGE_MIB * 1024 ** 2));
  const commit = await peakDuring(() =>
    snapshot({
      mirror: join(repo, '.git'),
      worktree: repo,
      indexFile: join(dir, 'index'),
      baseSha: base,
      identity: { name: 'Switchyard', email: 'switchyard@example.invalid' },
      message: 'Large change',
    }),
  );

  const result = {
    cgroups: support.kind,
    memory_limit_stop_ms: memory.limit === 'memory' ? Math.round(memory.durationMs) : null,
    process_limit_stop_ms: forks.limit === 'processes' ? Math.round(forks.durationMs) : null,
    output_limit_stop_ms: flood.result.limit === 'output' ? Math.round(flood.result.durationMs) : null,
    flood_bytes_limit: DEFAULT_LIMITS.outputBytes,
    rss_growth_during_flood_mib: flood.peakMib,
    change_mib: CHANGE_MIB,
    rss_growth_during_large_commit_mib: commit.peakMib,
    large_change_committed: commit.result.commitSha !== undefined,
  };
  console.log(describeSupport(support));
  console.log(JSON.stringify(result));
} finally {
  await rm(dir, { recursive: true, force: true });
}
