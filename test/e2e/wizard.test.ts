/**
 * The operator's first run, as a person does it: `npm start` without credentials serves Probot's
 * set-up wizard; its form goes to GitHub (the twin), which registers the app from the manifest
 * and redirects back with a code; Probot converts the code and writes `.env`. Restarted, the same
 * folder is Switchyard with those credentials: a label becomes a pull request.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newFileDiff, pushFiles } from '../support/git.ts';
import { eventually } from '../support/stack.ts';
import { GitHubTwin } from '@switchyard/github-twin';
import { freePort } from '../support/processes-stack.ts';

const CLI = new URL('../../bin/switchyard.js', import.meta.url).pathname;

describe('from the set-up wizard to a pull request', () => {
  let twin: GitHubTwin;
  let folder: string;
  let app: ResultPromise | undefined;
  beforeAll(async () => {
    twin = await GitHubTwin.start();
    folder = await mkdtemp(join(tmpdir(), 'switchyard-wizard-'));
    await chmod(folder, 0o711);
  });
  afterAll(async () => {
    app?.kill('SIGKILL');
    await app;
    await twin.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('registers the app, writes .env, and after a restart turns a label into a pull request', async () => {
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    // What the README says to edit before the wizard: a unique name, and where GitHub reaches this server.
    const manifest = (await readFile(new URL('../../app.yml', import.meta.url), 'utf8'))
      .replace('https://example.invalid/api/github/webhooks', `${appUrl}/api/github/webhooks`)
      .replace('name: Switchyard', 'name: Switchyard at octo-org');
    await writeFile(join(folder, 'app.yml'), manifest);
    await writeFile(
      join(folder, 'package.json'),
      JSON.stringify({ name: 'switchyard', version: '0.1.0', description: 'Switchyard' }),
    );
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: folder,
      GHE_HOST: twin.host,
      GHE_PROTOCOL: 'http',
      HOST: '127.0.0.1',
      PORT: String(port),
      NO_SMEE_SETUP: 'true',
      SWITCHYARD_BATCH_WINDOW: '0',
      SWITCHYARD_GITHUB_PACING: 'off',
    };
    const start = () =>
      execa('node', [CLI, 'start'], { cwd: folder, env, extendEnv: false, reject: false, all: true, buffer: false });

    app = start();
    const page = await eventually(
      async () => {
        const response = await fetch(`${appUrl}/probot`).catch(() => undefined);
        return response?.ok ? response.text() : undefined;
      },
      30_000,
      'the set-up page',
    );
    const form = /<form action="([^"]+)"[\s\S]*?value='([^']*)'/.exec(page);
    expect(form?.[1]).toBe(`http://${twin.host}/settings/apps/new`);
    // The person presses "Register GitHub App", then "Create" on GitHub's page.
    const registered = await fetch(form?.[1] ?? '', {
      method: 'POST',
      body: new URLSearchParams({
        manifest:
          form?.[2]
            ?.replace(/&#39;/g, "'")
            .replace(/&quot;/g, '"')
            .replace(/&amp;/g, '&') ?? '',
      }),
      redirect: 'manual',
    });
    expect(registered.status).toBe(302);
    const back = registered.headers.get('location') ?? '';
    expect(back).toMatch(new RegExp(`^${appUrl}/probot/setup\\?code=`));
    const done = await fetch(back, { redirect: 'manual' });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe(`${twin.url}/apps/${twin.app.slug}/installations/new`);
    const dotenv = await readFile(join(folder, '.env'), 'utf8');
    expect(dotenv).toContain(`APP_ID=${twin.app.id}`);
    expect(dotenv).toContain(`WEBHOOK_SECRET=${twin.app.webhookSecret}`);
    expect(twin.app.webhookUrl).toBe(`${appUrl}/api/github/webhooks`);

    // "Probot has been set up, please restart the server!"
    app.kill('SIGTERM');
    await app;
    app = start();
    await eventually(
      async () => {
        const response = await fetch(`${appUrl}/healthz`).catch(() => undefined);
        return response?.ok ? true : undefined;
      },
      60_000,
      'Switchyard with the new credentials',
    );

    const gh = twin.octokit('octo-org');
    await gh.rest.repos.createForAuthenticatedUser({ name: 'railway', auto_init: true });
    await pushFiles(twin, 'octo-org', 'railway', { 'docs/yard.md': 'The yard.\n' });
    twin.announceInstallation(twin.install('octo-org'));
    const { data: issue } = await gh.rest.issues.create({
      owner: 'octo-org',
      repo: 'railway',
      title: 'Add a timetable',
      body: `\`\`\`diff\n${newFileDiff('timetable.md', ['# Timetable'])}\`\`\`\n`,
    });
    await gh.rest.issues.addLabels({
      owner: 'octo-org',
      repo: 'railway',
      issue_number: issue.number,
      labels: ['agent:patch'],
    });
    const pull = await eventually(
      async () => {
        const { data } = await gh.rest.pulls.list({ owner: 'octo-org', repo: 'railway' });
        return data[0];
      },
      60_000,
      'a pull request',
    );
    expect(pull.body).toContain(`Closes #${issue.number}`);
    await twin.idle();
    expect(twin.violations).toEqual([]);
  });
});
