/**
 * The spawner: short commands start from a small helper process, with only the environment the
 * caller gives them, and a helper that dies fails its commands and is replaced.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trustedGit } from '../../src/runner/git.ts';
import { runCommand, stopSpawner, toolEnvironment } from '../../src/runner/spawner.ts';

/** The parent pid of a process, from /proc. */
async function parentOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^PPid:\s*(\d+)/m.exec(status)?.[1]);
}

describe('the spawner', () => {
  afterAll(() => stopSpawner());

  it('starts commands from a helper process, with nothing of this process’s environment', async () => {
    process.env.SWITCHYARD_SPAWNER_TEST_SECRET = 'must-not-leak';
    try {
      const result = await runCommand('sh', ['-c', 'echo "$PPID"; env'], {
        env: { ...toolEnvironment(), GIVEN: 'yes' },
        cwd: '/tmp',
      });
      expect(result.exitCode).toBe(0);
      const [ppid = '', ...env] = result.stdout.trim().split('\n');
      // The shell's parent is the helper, and the helper's parent is this process.
      expect(Number(ppid)).not.toBe(process.pid);
      expect(await parentOf(Number(ppid))).toBe(process.pid);
      expect(env).toContain('GIVEN=yes');
      expect(result.stdout).not.toContain('must-not-leak');
      // The helper itself was given no credentials either.
      const helperEnv = await readFile(`/proc/${ppid}/environ`, 'utf8');
      expect(helperEnv).not.toContain('must-not-leak');
    } finally {
      delete process.env.SWITCHYARD_SPAWNER_TEST_SECRET;
    }
  });

  it('answers for a command that fails or cannot start, without throwing', async () => {
    const failed = await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3'], { env: toolEnvironment() });
    expect(failed).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', failure: undefined });
    const missing = await runCommand('switchyard-no-such-command', [], { env: toolEnvironment() });
    expect(missing.exitCode).toBeUndefined();
    expect(missing.failure).toMatch(/ENOENT/);
  });

  it('fails the commands of a helper that died, and starts a new one for the next', async () => {
    const first = await runCommand('sh', ['-c', 'echo "$PPID"'], { env: toolEnvironment() });
    const helper = Number(first.stdout.trim());
    const slow = runCommand('sleep', ['30'], { env: toolEnvironment() });
    // Give the request time to reach the helper before it is killed.
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(helper, 'SIGKILL');
    const lost = await slow;
    expect(lost.exitCode).toBeUndefined();
    expect(lost.failure).toMatch(/spawner exited/);
    const next = await runCommand('sh', ['-c', 'echo "$PPID"'], { env: toolEnvironment() });
    expect(Number(next.stdout.trim())).not.toBe(helper);
    expect(next.exitCode).toBe(0);
  });

  it('runs git through simple-git there, which fails as it does', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'switchyard-spawner-'));
    const git = trustedGit({ gitDir: empty });
    await expect(git.raw(['rev-parse', 'HEAD'])).rejects.toThrow(/not a git repository/);
    // A command git cannot even start in (its folder is gone) fails too.
    await rm(empty, { recursive: true });
    await expect(git.raw(['--version'])).rejects.toThrow(/does not exist/);
    expect((await trustedGit({ gitDir: tmpdir() }).raw(['--version'])).trim()).toMatch(/^git version /);
  });
});
