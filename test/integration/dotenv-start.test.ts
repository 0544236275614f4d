/**
 * The operator's path after Probot's set-up wizard: it writes `.env` (the key on one line, its
 * newlines escaped) and says to restart. `npm start` in that folder must read it and serve
 * webhooks, also with the empty lines that .env.example leaves (`LOG_FORMAT=`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/stack.ts';
import { GitHubTwin } from '@switchyard/github-twin';
import { freePort } from '../support/processes-stack.ts';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

describe('starting from the .env that the set-up wizard wrote', () => {
  let twin: GitHubTwin;
  let folder: string;
  beforeAll(async () => {
    twin = await GitHubTwin.start();
    folder = await mkdtemp(join(tmpdir(), 'switchyard-dotenv-'));
  });
  afterAll(async () => {
    await twin.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('reads APP_ID, the escaped PRIVATE_KEY and WEBHOOK_SECRET from .env, and serves webhooks', async () => {
    const port = await freePort();
    // As Probot's updateEnv writes it: KEY=value, newlines in values escaped as \n.
    const env = {
      WEBHOOK_PROXY_URL: '',
      APP_ID: String(twin.app.id),
      PRIVATE_KEY: twin.app.privateKey.replace(/\n/g, '\\n'),
      WEBHOOK_SECRET: twin.app.webhookSecret,
      GITHUB_CLIENT_ID: 'Iv1.0123456789abcdef',
      GITHUB_CLIENT_SECRET: 'not-used-here',
      GHE_HOST: twin.host,
      GHE_PROTOCOL: 'http',
      LOG_FORMAT: '',
      SWITCHYARD_SANDBOX: 'none',
      PORT: String(port),
      HOST: '127.0.0.1',
    };
    await writeFile(
      join(folder, '.env'),
      Object.entries(env)
        .map(([key, value]) => `${key}=${value}`)
        .join('\n'),
    );
    const app = execa('node', [MAIN, 'web'], {
      cwd: folder,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: folder },
      extendEnv: false,
      reject: false,
      all: true,
    });
    try {
      const health = await eventually(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
          return response?.ok ? ((await response.json()) as Record<string, unknown>) : undefined;
        },
        30_000,
        'healthz',
      );
      expect(health).toMatchObject({ ok: true, roles: { web: true, worker: false } });
      // The webhook secret came from .env: a delivery signed with it is accepted.
      twin.setWebhookUrl(`http://127.0.0.1:${port}/api/github/webhooks`);
      twin.announceInstallation(twin.install('o'));
      await twin.idle();
      expect(twin.deliveries.at(-1)).toMatchObject({ event: 'installation', status: 200 });
    } finally {
      app.kill('SIGTERM');
      await app;
    }
  });
});
