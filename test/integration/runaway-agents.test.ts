/**
 * Agents that misbehave the way real ones do, stopped by their limits: one that holds ever more
 * memory, one that forks (each child in its own session, out of the process group), one that
 * floods its output, one that fills its worktree. Each ends with the limit named, nothing left
 * running, and Switchyard's own memory flat.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { execa } from 'execa';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type ResourceLimits } from '../../src/domain/limits.ts';
import {
  RunCgroup,
  describeSupport,
  detectCgroups,
  limitSentence,
  removeLeftoverCgroups,
  type CgroupSupport,
} from '../../src/runner/limits.ts';
import { runProcess } from '../../src/runner/process.ts';
import { processesUnder } from '../support/processes.ts';

let dir: string;
let support: CgroupSupport;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-runaway-'));
  support = await detectCgroups();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (argv: string[], limits: Partial<ResourceLimits>, name: string) =>
  runProcess(argv, {
    cwd: dir,
    env,
    timeoutMs: 60_000,
    limits: { values: { ...DEFAULT_LIMITS, ...limits }, support, name: `test-${name}-${process.pid}` },
  });

describe('runaway agents', () => {
  it('finds where this machine lets it limit memory and processes', () => {
    // The CI machine, like this one, lets Switchyard make cgroups; elsewhere doctor says so.
    expect(support.kind, support.kind === 'none' ? support.why : '').not.toBe('none');
  });

  it('stops an agent that holds more memory than its limit, and says so', async () => {
    const grow = 'const held = []; for (;;) held.push(Buffer.alloc(32 * 1024 * 1024, 1));';
    const result = await run([process.execPath, '-e', grow], { memoryBytes: 256 * 1024 ** 2 }, 'memory');
    expect(result.limit).toBe('memory');
    expect(result.exitCode).not.toBe(0);
    expect(result.durationMs).toBeLessThan(30_000);
    expect(limitSentence('memory', { ...DEFAULT_LIMITS, memoryBytes: 256 * 1024 ** 2 }, '1.0')).toBe(
      'Stopped after 1.0 s: the agent used more than its 256 MiB of memory (`limits.memory`).',
    );
  });

  it('stops an agent that forks past its process limit, and leaves none of its processes running', async () => {
    const forks = 'i=0; while [ $i -lt 300 ]; do setsid sleep 60 & i=$((i + 1)); done; sleep 60';
    const result = await run(['sh', '-c', forks], { processes: 40 }, 'processes');
    expect(result.limit).toBe('processes');
    expect(result.durationMs).toBeLessThan(30_000);
    // The sleeps left the process group (setsid); the cgroup still held them, and they were killed.
    expect(await processesUnder(dir)).toEqual([]);
  });

  it('stops an agent that floods its output, keeping its first and last lines, with Switchyard flat', async () => {
    const before = process.memoryUsage().rss;
    const flood = 'echo first line; yes "flooding the log with one line after another"';
    const result = await run(['sh', '-c', flood], { outputBytes: 64 * 1024 ** 2 }, 'output');
    expect(result.limit).toBe('output');
    expect(result.outputTail.startsWith('first line\n')).toBe(true);
    expect(result.outputTail).toMatch(/… \d+ bytes of output left out …/);
    expect(result.outputTail.length).toBeLessThan(200 * 1024);
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 ** 2);
  });

  it("after a crash, ends what a dead run left in its cgroup and removes it, and leaves a live run's alone", async () => {
    const ended = await RunCgroup.create(support, `test-ended-${process.pid}`, DEFAULT_LIMITS);
    const live = await RunCgroup.create(support, `test-live-${process.pid}`, DEFAULT_LIMITS);
    if (!ended || !live) throw new Error('no cgroup');
    // As a crashed worker leaves them: detached, in a session of their own.
    const start = (cgroup: RunCgroup) => {
      const [file = 'sh', ...args] = cgroup.wrap(['sh', '-c', 'setsid sleep 120 & exec sleep 120']);
      return execa(file, args, { detached: true, stdio: 'ignore', reject: false });
    };
    const endedProcess = start(ended);
    const liveProcess = start(live);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Removed means empty: the sleep in its own session is gone too.
    expect(await removeLeftoverCgroups(support, [`test-ended-${process.pid}`])).toBeGreaterThanOrEqual(1);
    expect((await endedProcess).signal).toBe('SIGKILL');
    expect(() => process.kill(liveProcess.pid ?? 0, 0)).not.toThrow();
    await live.remove();
    expect((await liveProcess).signal).toBe('SIGKILL');
  });

  describe('where no cgroup may be made: rlimits', () => {
    const noCgroup = { kind: 'none', why: 'test', prlimit: '/usr/bin/prlimit' } as const;
    // An account of this test's own: RLIMIT_NPROC counts per account, and e2e agents run as nobody meanwhile.
    const account = { uid: 64_917, gid: 64_917 };
    const underRlimits = (argv: string[], limits: Partial<ResourceLimits>, cwd = dir) =>
      runProcess(argv, {
        cwd,
        env,
        timeoutMs: 30_000,
        user: account,
        limits: { values: { ...DEFAULT_LIMITS, ...limits }, support: noCgroup, name: 'unused' },
      });

    it('fails an agent whose memory passes its limit, long before its timeout', async () => {
      const grow = 'const held = []; for (;;) held.push(Buffer.alloc(32 * 1024 * 1024, 1));';
      const result = await underRlimits([process.execPath, '-e', grow], { memoryBytes: 1024 ** 3 });
      expect(result.timedOut).toBe(false);
      expect(result.exitCode).not.toBe(0);
      expect(result.outputTail).toMatch(/allocat|out of memory/i);
    });

    it("refuses an agent's forks past its process limit", async () => {
      // Out of its session, as a runaway agent's children are; here only the sandbox's PID namespace would end them.
      const forks = 'i=0; while [ $i -lt 200 ]; do setsid sleep 30 >/dev/null 2>&1 & i=$((i + 1)); done; exec true';
      const result = await underRlimits(['sh', '-c', forks], { processes: 40 });
      const { stdout } = await execa('ps', ['-u', String(account.uid), '-o', 'pid='], { reject: false });
      await execa('pkill', ['-KILL', '-u', String(account.uid)], { reject: false });
      const running = stdout.split('\n').filter((line) => line.trim()).length;
      expect(result.outputTail).toContain('Cannot fork');
      expect(running).toBeGreaterThan(10);
      expect(running).toBeLessThanOrEqual(40);
      expect(describeSupport(noCgroup)).toContain('RLIMIT_NPROC');
    });
  });

  it('stops an agent that fills its worktree, counting only what it added to it', async () => {
    const worktree = await mkdtemp(join(dir, 'worktree-'));
    // A repository already larger than the limit is not the agent's doing.
    await execa('dd', ['if=/dev/urandom', `of=${join(worktree, 'existing.bin')}`, 'bs=1M', 'count=48', 'status=none']);
    const fill = 'i=0; while true; do head -c 4194304 /dev/urandom > "out-$i.bin"; i=$((i + 1)); sleep 0.05; done';
    const result = await runProcess(['sh', '-c', fill], {
      cwd: worktree,
      env,
      timeoutMs: 60_000,
      limits: {
        values: { ...DEFAULT_LIMITS, worktreeBytes: 32 * 1024 ** 2 },
        support,
        name: `test-worktree-${process.pid}`,
      },
    });
    expect(result.limit).toBe('worktree');
    expect(result.durationMs).toBeLessThan(30_000);
    expect(await processesUnder(worktree)).toEqual([]);
    const written = (await readdir(worktree)).filter((name) => name.startsWith('out-')).length;
    // Stopped soon after 32 MiB: within the few seconds between two measures, not at the disk's end.
    expect(written).toBeGreaterThanOrEqual(8);
    expect(written).toBeLessThan(200);
    expect(limitSentence('worktree', { ...DEFAULT_LIMITS, worktreeBytes: 32 * 1024 ** 2 }, '3.0')).toBe(
      'Stopped after 3.0 s: the agent wrote more than its 32 MiB to its worktree (`limits.worktree`).',
    );
  });
});
