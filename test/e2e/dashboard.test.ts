/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core): sign-in with the
 * operator token, the overview (workers, queue with wait reasons, dependency graph, timeline) and
 * a run's page whose log streams in while the agent runs, redacted. Screenshots go to
 * test-artifacts/dashboard/.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addLabel,
  eventually,
  lastRun,
  openIssue,
  startStack,
  statusShowing,
  TEST_MODE,
  type Stack,
} from '../support/stack.ts';
import { TWIN_OAUTH_CLIENT } from '@switchyard/github-twin';

const CHROMIUM =
  process.env.SWITCHYARD_CHROMIUM ??
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
if (!CHROMIUM) console.warn('dashboard e2e: chromium is not installed (Debian: apt-get install chromium); skipped');

const TOKEN = 'dashboard-operator-token-7d1c0a5e9b';
const ARTIFACTS = join('test-artifacts', 'dashboard');
// Prints a numbered line every 400 ms, and once the issue body (which holds a token).
const CHATTY = [
  'sh',
  '-c',
  'cat "$SWITCHYARD_ISSUE_BODY_FILE"; echo; for i in 1 2 3 4 5 6 7 8 9 10; do echo "step $i of 10"; sleep 0.4; done; echo done > chatty.txt',
];

/**
 * `page.goto`, again once when the overview's own refresh (a meta refresh every 5 s) cut it
 * short: a page left on the overview may begin reloading just as the test navigates away.
 */
async function visit(on: Page, url: string) {
  try {
    return await on.goto(url);
  } catch (error) {
    if (!String(error).includes('ERR_ABORTED')) throw error;
    return on.goto(url);
  }
}

describe.runIf(CHROMIUM)('the dashboard', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let base: string;
  let runId = '';
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${TEST_MODE}-${name}.png`), fullPage: true });

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    stack = await startStack({
      agents: { chatty: { kind: 'command', command: CHATTY, timeout: 60_000, passEnv: [], env: {} } },
      env: {
        SWITCHYARD_DASHBOARD_TOKEN: TOKEN,
        GITHUB_CLIENT_ID: TWIN_OAUTH_CLIENT.id,
        GITHUB_CLIENT_SECRET: TWIN_OAUTH_CLIENT.secret,
      },
    });
    base = new URL(stack.twin.app.webhookUrl ?? '').origin;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('opens with the operator token and refuses a wrong one', async () => {
    await page.goto(`${base}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.fill('input[name=token]', 'not-the-token-at-all-not-at-all');
    await page.click('button');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('That is not the operator token.');
    const anonymous = await fetch(`${base}/dashboard/runs/anything/log`);
    expect(anonymous.status).toBe(401);
    await page.fill('input[name=token]', TOKEN);
    await page.click('button');
    await page.waitForURL(`${base}/dashboard`);
    await page.locator('#workers').waitFor();
  });

  it("shows workers, the queue with why a run waits, the dependency graph and the timeline, and streams a run's log redacted", async () => {
    const { token } = stack.twin.createUser('leaky');
    const first = await openIssue(stack, 'Lay the track', `Lay it.\nA token that must not show: ${token}`);
    const second = await openIssue(stack, 'Run the train', `Depends on #${first}`);
    await addLabel(stack, first, 'agent:chatty');
    await addLabel(stack, second, 'agent:chatty');
    const run = await eventually(
      async () => {
        const latest = await lastRun(stack, first);
        return latest?.state === 'running' ? latest : undefined;
      },
      30_000,
      'the first run running',
    );
    await statusShowing(stack, second, 'Waiting');

    await visit(page, `${base}/dashboard`);
    const workers = await page.locator('#workers tr').count();
    expect(workers - 1).toBe(TEST_MODE === 'postgres' ? 2 : 1);
    const queue = await page.locator('#queue').textContent();
    expect(queue).toContain(`#${second}`);
    expect(queue).toContain(`waits for #${first}`);
    expect(await page.locator('#graph svg a').count()).toBe(2);
    expect(await page.locator('#graph svg line').count()).toBe(1);
    expect(await page.locator('#timeline svg rect').count()).toBeGreaterThanOrEqual(1);
    await shot('overview');

    // The run's page: the log arrives while the agent runs, then the page shows the end.
    await visit(page, `${base}/dashboard/runs/${run.id}`);
    await page.locator('#log', { hasText: 'step 3 of 10' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#run').textContent()).toContain('running');
    await shot('run-streaming');
    await page.locator('#run .state', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    const log = (await page.locator('#log').textContent()) ?? '';
    expect(log).toContain('step 10 of 10');
    expect(log).toContain('[REDACTED]');
    expect(log).not.toContain(token);
    runId = run.id;
    // The attempt's outcome is recorded a moment after the run's.
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.locator('#attempts').textContent();
        },
        { timeout: 10_000 },
      )
      .toContain('succeeded');
    // Where the time went: the agent's ten steps of work stand out against Switchyard's own.
    const steps = (await page.locator('#steps').textContent()) ?? '';
    for (const step of ['fetch', 'worktree', 'agent', 'snapshot', 'push', 'besides the agent'])
      expect(steps).toContain(step);
    await shot('run-finished');
  });

  it('lets people sign in with GitHub and shows them only the repositories they can read', async () => {
    stack.twin.setPermission(stack.owner, stack.repo, 'reader', 'read');
    const signIn = async (login: string) => {
      const context = await browser.newContext();
      const visitor = await context.newPage();
      await visitor.goto(`${base}/dashboard`);
      await visitor.click('#github-sign-in');
      // GitHub's authorize page (the twin's asks who is signing in).
      await visitor.fill('input[name=login]', login);
      await visitor.click('button');
      await visitor.waitForURL(`${base}/dashboard`);
      return visitor;
    };
    const reader = await signIn('reader');
    expect(await reader.locator('#viewer').textContent()).toBe('Signed in as @reader');
    expect(await reader.locator('#recent').textContent()).toContain(`${stack.owner}/${stack.repo}#`);
    await reader.screenshot({ path: join(ARTIFACTS, `${TEST_MODE}-github-reader.png`), fullPage: true });
    const stranger = await signIn('stranger');
    expect(await stranger.locator('#recent').textContent()).toContain('No run has finished in the last day.');
    const hidden = await visit(stranger, `${base}/dashboard/runs/${runId}`);
    expect(hidden?.status()).toBe(404);
    // A forged state is refused.
    const forged = await visit(stranger, `${base}/dashboard/login/github/callback?code=x&state=forged`);
    expect(forged?.status()).toBe(400);

    // A reader sees no buttons, and a request made anyway is refused.
    await visit(reader, `${base}/dashboard/runs/${runId}`);
    expect(await reader.locator('#retry').count()).toBe(0);
    const refused = await reader.evaluate(
      async (url) => (await fetch(url, { method: 'POST' })).status,
      `${base}/dashboard/runs/${runId}/retry`,
    );
    expect(refused).toBe(403);

    // A writer retries from the run's page, under their own name.
    stack.twin.setPermission(stack.owner, stack.repo, 'writer', 'write');
    const writer = await signIn('writer');
    await visit(writer, `${base}/dashboard/runs/${runId}`);
    await writer.click('#retry');
    await writer.getByRole('status').waitFor();
    const issue = (await stack.store.getRun(runId))?.issueNumber ?? 0;
    const retried = await statusShowing(stack, issue, /attempt 2[\s\S]*Succeeded/);
    expect(retried).toContain('attempt 2');
    expect((await lastRun(stack, issue))?.trigger.sender).toBe('writer');
  });
});
