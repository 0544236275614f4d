/**
 * `npm run demo`, as the README's quick start runs it: the GitHub twin in a process of its own,
 * Switchyard embedded, the patch agent on each issue, a pull request for every issue.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = new URL('../../bin/switchyard.js', import.meta.url).pathname;

describe('switchyard demo', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'switchyard-demo-test-'));
    // Reachable by the sandbox's account, as a real data directory would be.
    await chmod(folder, 0o755);
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('opens a pull request for every issue, and the twin found no request GitHub would refuse', async () => {
    const demo = await execa(
      'node',
      [CLI, 'demo', '--issues', '3', '--port', '0', '--data-dir', join(folder, 'data')],
      { reject: false, timeout: 120_000 },
    );
    expect(demo.stderr).not.toContain('GitHub would refuse');
    expect(demo.exitCode).toBe(0);
    const figures = JSON.parse(demo.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(figures).toMatchObject({ issues: 3, pull_requests: 3 });
    expect(demo.stdout).toContain('/demo-org/railway-yard/pull/');
  });

  it('says which port is taken when the twin cannot listen on the one asked for', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const demo = await execa('node', [CLI, 'demo', '--port', String(port), '--data-dir', join(folder, 'taken')], {
        reject: false,
        timeout: 60_000,
      });
      expect(demo.exitCode).toBe(1);
      expect(demo.stderr).toContain(`Port ${port} is in use`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
