/**
 * Agents that misbehave the way real ones do, stopped by their limits: one that holds ever more
 * memory, one that forks (each child in its own session, out of the process group), one that
 * floods its output. Each ends with the limit named, nothing left running, and Switchyard's own
 * memory flat.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type ResourceLimits } from '../../src/domain/limits.ts';
import { detectCgroups, limitSentence, type CgroupSupport } from '../../src/runner/limits.ts';
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
});
