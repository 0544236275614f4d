/** An agent's limits as the operator writes them, and as people read them. */
import { describe, expect, it } from 'vitest';
import { agentDefinition, limitsOf } from '../../src/config/agents.ts';
import { DEFAULT_LIMITS } from '../../src/domain/limits.ts';
import { describeSupport, formatBytes, limitSentence } from '../../src/runner/limits.ts';

const command = { kind: 'command', command: ['my-agent'] } as const;

describe('agent limits', () => {
  it('takes sizes as text or bytes, and keeps the defaults for the rest', () => {
    const agent = agentDefinition.parse({
      ...command,
      limits: { memory: '2GiB', output: '50 MiB', processes: 64, worktree: '500MB' },
    });
    expect(limitsOf(agent)).toEqual({
      memoryBytes: 2 * 1024 ** 3,
      outputBytes: 50 * 1024 ** 2,
      processes: 64,
      cpus: 2,
      worktreeBytes: 500 * 1024 ** 2,
    });
    expect(limitsOf(agentDefinition.parse(command))).toEqual(DEFAULT_LIMITS);
  });

  it('refuses a size it cannot read, and a limit it does not know', () => {
    expect(agentDefinition.safeParse({ ...command, limits: { memory: 'lots' } }).error?.issues[0]?.message).toBe(
      '"lots" is not a size (try 512MiB or 4GiB)',
    );
    expect(agentDefinition.safeParse({ ...command, limits: { disk: '1GiB' } }).success).toBe(false);
  });

  it('names the limit that stopped a run, in the units it was given', () => {
    expect(formatBytes(4 * 1024 ** 3)).toBe('4 GiB');
    expect(limitSentence('processes', DEFAULT_LIMITS, '2.5')).toBe(
      'Stopped after 2.5 s: the agent tried to run more than its 512 processes at once (`limits.processes`).',
    );
    expect(limitSentence('output', DEFAULT_LIMITS, '9.0')).toContain('more than its 200 MiB of output');
  });

  it('says which limits hold on a machine without cgroups', () => {
    expect(describeSupport({ kind: 'none', why: 'no writable cgroup' })).toBe(
      'memory, process and CPU limits are not enforced: no writable cgroup, and no prlimit; output and worktree limits hold',
    );
    expect(describeSupport({ kind: 'none', why: 'no writable cgroup', prlimit: '/usr/bin/prlimit' })).toContain(
      'memory is limited per process (RLIMIT_DATA), processes per agent account across its runs (RLIMIT_NPROC, not for root)',
    );
    expect(describeSupport({ kind: 'v1', controllers: { memory: 'm', pids: 'p' } })).toBe(
      'memory, processes, output and worktree limited per run (cgroup v1)',
    );
  });
});
