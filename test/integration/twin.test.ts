/** The twin holds the app to GitHub's contract: it refuses what GitHub would refuse. */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubTwin } from '@switchyard/github-twin';

describe('GitHub twin', () => {
  let twin: GitHubTwin;
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end();
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    twin = await GitHubTwin.start({ webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
    await twin.octokit('owner').rest.repos.createForAuthenticatedUser({ name: 'r', auto_init: true });
    twin.install('owner');
  });
  afterAll(async () => {
    await twin.stop();
    receiver.close();
  });

  it('records a violation for a body that does not match the operation', async () => {
    const before = twin.violations.length;
    const gh = twin.octokit('owner');
    await expect(
      gh.request('POST /repos/{owner}/{repo}/pulls', {
        owner: 'owner',
        repo: 'r',
        head: 'x',
        base: 'main',
        draft: 'yes' as unknown as boolean,
      }),
    ).rejects.toMatchObject({ status: 422 });
    expect(twin.violations.slice(before).join('\n')).toContain('body/draft must be boolean');
    twin.violations.length = before;
  });

  it('records a violation for an endpoint GitHub does not have, and for an unknown query parameter', async () => {
    const before = twin.violations.length;
    const gh = twin.octokit('owner');
    await expect(
      gh.request('GET /repos/{owner}/{repo}/not-a-thing', { owner: 'owner', repo: 'r' }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      gh.request('GET /repos/{owner}/{repo}/issues?colour=red', { owner: 'owner', repo: 'r' }),
    ).rejects.toMatchObject({ status: 422 });
    const found = twin.violations.slice(before).join('\n');
    expect(found).toContain("no such endpoint in GitHub's REST API");
    expect(found).toContain('unknown query parameter "colour"');
    twin.violations.length = before;
  });

  it('answers 401 to a bad token and 404 to a repository the user cannot see', async () => {
    const { Octokit } = await import('@octokit/rest');
    const anonymous = new Octokit({ auth: 'ghp_notarealtokennotarealtokennotareal1', baseUrl: twin.apiUrl });
    await expect(anonymous.rest.repos.get({ owner: 'owner', repo: 'r' })).rejects.toMatchObject({ status: 401 });
    await expect(twin.octokit('stranger').rest.repos.get({ owner: 'owner', repo: 'r' })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('limits issue bodies to 65,536 characters, as GitHub does', async () => {
    const gh = twin.octokit('owner');
    await expect(
      gh.rest.issues.create({ owner: 'owner', repo: 'r', title: 'big', body: 'x'.repeat(65_537) }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      gh.rest.issues.create({ owner: 'owner', repo: 'r', title: 'max', body: 'x'.repeat(65_536) }),
    ).resolves.toMatchObject({ status: 201 });
  });

  it('serves git only with a valid token', async () => {
    const url = `${twin.url}/owner/r.git`;
    const env = { PATH: process.env.PATH ?? '', GIT_TERMINAL_PROMPT: '0', HOME: '/tmp' };
    const anonymous = await execa('git', ['ls-remote', url], { env, extendEnv: false, reject: false });
    expect(anonymous.exitCode).not.toBe(0);
    const { token } = twin.createUser('owner');
    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
    const authed = await execa('git', ['-c', `http.extraHeader=${header}`, 'ls-remote', url], {
      env,
      extendEnv: false,
    });
    expect(authed.stdout).toMatch(/refs\/heads\/main/);
  });

  it('signs webhooks with the app secret and sends them with GitHub headers', async () => {
    const gh = twin.octokit('owner');
    await gh.rest.issues.create({ owner: 'owner', repo: 'r', title: 'hook me' });
    await twin.idle();
    const delivery = received.find((r) => r.body.includes('hook me'));
    expect(delivery).toBeDefined();
    const expected = `sha256=${createHmac('sha256', twin.app.webhookSecret)
      .update(delivery?.body ?? '')
      .digest('hex')}`;
    expect(delivery?.headers['x-hub-signature-256']).toBe(expected);
    expect(delivery?.headers['x-github-event']).toBe('issues');
    expect(delivery?.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(twin.violations).toEqual([]);
  });
});
