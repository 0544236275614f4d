/** `switchyard doctor` against the twin: what passes, and a missing agent and a broken key named before a maintainer's run finds them. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor } from '../../src/cli/doctor.ts';
import { loadServerSettings } from '../../src/config/server.ts';
import { GitHubTwin } from '@switchyard/github-twin';

const CLI = new URL('../../bin/switchyard.js', import.meta.url).pathname;

describe('switchyard doctor', () => {
  let twin: GitHubTwin;
  let folder: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    twin = await GitHubTwin.start();
    twin.install('o');
    folder = await mkdtemp(join(tmpdir(), 'switchyard-doctor-'));
    const config = join(folder, 'switchyard.yml');
    await writeFile(
      config,
      `agents:\n  claude: { kind: claude, executable: ${join(folder, 'no-such-claude')} }\n  shell: { kind: command, command: [sh, -c, 'true'] }\n`,
    );
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: folder,
      APP_ID: String(twin.app.id),
      PRIVATE_KEY: twin.app.privateKey,
      GHE_HOST: twin.host,
      GHE_PROTOCOL: 'http',
      SWITCHYARD_DATA_DIR: join(folder, 'data'),
      SWITCHYARD_CONFIG: config,
      SWITCHYARD_SANDBOX: 'none',
    };
  });
  afterAll(async () => {
    await twin.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('passes the key, GitHub, the database and the disk, and names an agent that is not installed', async () => {
    const checks = Object.fromEntries((await doctor(loadServerSettings(env))).map((c) => [c.name, c]));
    expect(checks['private key']).toMatchObject({ ok: true, detail: `APP_ID ${twin.app.id}, RSA key of 2048 bits` });
    expect(checks.GitHub).toMatchObject({ ok: true });
    expect(checks.GitHub?.detail).toContain(`knows the app as ${twin.app.slug}, installed on 1 account`);
    expect(checks.database).toMatchObject({ ok: true });
    expect(checks.disk).toMatchObject({ ok: true });
    expect(checks.sandbox?.detail).toContain('SWITCHYARD_SANDBOX=none');
    expect(checks['agent patch']).toMatchObject({ ok: true });
    expect(checks['agent shell']).toMatchObject({ ok: true });
    expect(checks['agent claude']).toEqual({
      name: 'agent claude',
      ok: false,
      detail: `${join(folder, 'no-such-claude')} is not installed`,
    });
  });

  it('exits 1 with a broken private key, saying so', async () => {
    const result = await execa('node', [CLI, 'doctor'], {
      cwd: folder,
      env: { ...env, PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\nbroken\n-----END RSA PRIVATE KEY-----' },
      extendEnv: false,
      reject: false,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^✗ private key: /m);
    expect(result.stdout).toMatch(/^✗ GitHub: /m);
    expect(result.stdout).toMatch(/^✓ database: PGlite/m);
  });
});
