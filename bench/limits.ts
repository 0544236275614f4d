/**
 * Runaway agents against their limits, on this machine's cgroups: how long each limit takes to
 * stop its agent, and Switchyard's own peak memory while an agent floods its output up to the
 * default 200 MiB (and four times that), while a large change (BENCH_CHANGE_MIB, 80 MiB of real
 * bytes) is committed from the trusted side, and while the secret guard reads it. Each scenario
 * runs in a process of its own, and its peak is the kernel's high-water mark of that process
 * (`maxRSS`) over what it held before the work: a sampler would miss a peak that blocks the
 * event loop. Last line: JSON.
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
import { RunLog } from '../src/runner/run-log.ts';
import { pathHoldingSecret } from '../src/runner/secret-guard.ts';
import { Redactor } from '../src/log/redact.ts';

const CHANGE_MIB = Number(process.env.BENCH_CHANGE_MIB ?? 80);
const FLOOD = ['yes', 'a line of output that floods the log'];
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' };
const secretRedactor = () => new Redactor(['ghs_' + randomBytes(18).toString('hex')]);

interface Figures {
  ms: number;
  peakMib: number;
  limit?: string | undefined;
  commitSha?: string | undefined;
}

/** One scenario, in this process: its time, and the growth of this process's peak memory. */
async function scenario(name: string, dir: string, args: string[]): Promise<Figures> {
  const support = await detectCgroups();
  const runLog = new RunLog(join(dir, `${name}.log`), secretRedactor());
  const limited = (argv: string[], limits: Partial<typeof DEFAULT_LIMITS>) =>
    runProcess(argv, {
      cwd: dir,
      env,
      timeoutMs: 120_000,
      // As in a run: every chunk redacted into the capped log on disk and its tail kept.
      onOutput: (text) => runLog.write(text),
      limits: { values: { ...DEFAULT_LIMITS, ...limits }, support, name: `bench-${name}-${process.pid}` },
    });
  const [repo = '', base = '', head = ''] = args;
  const work: Record<string, () => Promise<Partial<Figures>>> = {
    memory: async () => ({
      limit: (
        await limited(
          [process.execPath, '-e', 'const held = []; for (;;) held.push(Buffer.alloc(32 * 1024 * 1024, 1));'],
          { memoryBytes: 512 * 1024 ** 2 },
        )
      ).limit,
    }),
    processes: async () => ({
      limit: (
        await limited(['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do setsid sleep 60 & i=$((i + 1)); done; sleep 60'], {
          processes: 256,
        })
      ).limit,
    }),
    flood: async () => ({ limit: (await limited(FLOOD, {})).limit }),
    flood4x: async () => ({ limit: (await limited(FLOOD, { outputBytes: 4 * DEFAULT_LIMITS.outputBytes })).limit }),
    // Committed the way a run's result is: a private index, `git add`, `commit-tree`.
    commit: async () => ({
      commitSha: (
        await snapshot({
          mirror: join(repo, '.git'),
          worktree: repo,
          indexFile: join(dir, 'index'),
          baseSha: base,
          identity: { name: 'Switchyard', email: 'switchyard@example.invalid' },
          message: 'Large change',
        })
      ).commitSha,
    }),
    guard: async () => ({ limit: await pathHoldingSecret(join(repo, '.git'), base, head, secretRedactor()) }),
  };
  const run = work[name];
  if (!run) throw new Error(`no scenario ${name}`);
  const before = process.memoryUsage().rss;
  const started = performance.now();
  const figures = await run();
  const peak = process.resourceUsage().maxRSS * 1024;
  return {
    ...figures,
    ms: performance.now() - started,
    peakMib: Number((Math.max(0, peak - before) / 1024 ** 2).toFixed(1)),
  };
}

async function inChild(name: string, dir: string, ...args: string[]): Promise<Figures> {
  const { stdout } = await execa(process.execPath, [import.meta.filename, '--scenario', name, dir, ...args]);
  return JSON.parse(stdout.split('\n').pop() ?? '{}') as Figures;
}

if (process.argv[2] === '--scenario') {
  const [, , , name = '', dir = '', ...args] = process.argv;
  console.log(JSON.stringify(await scenario(name, dir, args)));
} else {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-limits-'));
  try {
    const memory = await inChild('memory', dir);
    const forks = await inChild('processes', dir);
    const flood = await inChild('flood', dir);
    const flood4x = await inChild('flood4x', dir);

    const repo = join(dir, 'repo');
    await execa('git', ['init', '-q', '-b', 'main', repo]);
    await writeFile(join(repo, 'README.md'), '# bench\n');
    await execa('git', ['-C', repo, 'add', '.']);
    await execa('git', ['-C', repo, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'base']);
    const base = (await execa('git', ['-C', repo, 'rev-parse', 'HEAD'])).stdout;
    await writeFile(join(repo, 'data.bin'), randomBytes(CHANGE_MIB * 1024 ** 2));
    const commit = await inChild('commit', dir, repo, base);
    const guard = await inChild('guard', dir, repo, base, commit.commitSha ?? base);

    const stopMs = (figures: Figures, limit: string) => (figures.limit === limit ? Math.round(figures.ms) : null);
    console.log(describeSupport(await detectCgroups()));
    console.log(
      JSON.stringify({
        memory_limit_stop_ms: stopMs(memory, 'memory'),
        process_limit_stop_ms: stopMs(forks, 'processes'),
        output_limit_stop_ms: stopMs(flood, 'output'),
        flood_mib: DEFAULT_LIMITS.outputBytes / 1024 ** 2,
        peak_growth_during_flood_mib: flood.peakMib,
        peak_growth_during_4x_flood_mib: flood4x.peakMib,
        change_mib: CHANGE_MIB,
        large_change_committed: commit.commitSha !== undefined,
        peak_growth_during_large_commit_mib: commit.peakMib,
        peak_growth_during_secret_guard_mib: guard.peakMib,
        secret_guard_ms: Math.round(guard.ms),
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
