/**
 * The twin sends what GitHub sends when branches move, and retargets or closes pull requests as
 * GitHub does: push events for pushes, merges and deletions; synchronize when a head moves; edited
 * with `changes.base` when a base changes; dependents retargeted when "Automatically delete head
 * branches" removes a merged head, but closed when a base branch is deleted through the API.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubTwin } from '@switchyard/github-twin';
import { pushFiles } from '@switchyard/github-twin/seed';

interface Received {
  event: string;
  payload: {
    action?: string;
    ref?: string;
    created?: boolean;
    deleted?: boolean;
    forced?: boolean;
    commits?: unknown[];
    number?: number;
    before?: string;
    after?: string;
    changes?: { base?: { ref: { from: string } } };
    pull_request?: { base: { ref: string }; state: string; merged: boolean };
  };
}

describe('twin branches', () => {
  let twin: GitHubTwin;
  let dir: string;
  const received: Received[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ event: String(req.headers['x-github-event']), payload: JSON.parse(body) as Received['payload'] });
      res.writeHead(200).end();
    });
  });
  const params = { owner: 'owner', repo: 'b' };
  const since = (mark: number, event?: string) =>
    received.slice(mark).filter((r) => event === undefined || r.event === event);

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    dir = await mkdtemp(join(tmpdir(), 'switchyard-twin-manifest-'));
    const manifest = join(dir, 'app.yml');
    await writeFile(manifest, 'default_events:\n  - push\n  - pull_request\n');
    twin = await GitHubTwin.start({
      manifestPath: manifest,
      webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    });
    await twin.octokit('owner').rest.repos.createForAuthenticatedUser({ name: 'b', auto_init: true });
    twin.install('owner');
    await pushFiles(twin, 'owner', 'b', { 'README.md': '# b\n', 'src/index.ts': 'export {};\n' });
    await twin.idle();
  });
  afterAll(async () => {
    await twin.stop();
    receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends push for a git push and synchronize when a pull request’s head moves', async () => {
    const gh = twin.octokit('owner');
    let mark = received.length;
    await pushFiles(twin, 'owner', 'b', { 'a.txt': 'a\n' }, 'Add a', 'feature-a');
    await twin.idle();
    expect(since(mark, 'push').map((r) => [r.payload.ref, r.payload.created, r.payload.commits?.length])).toEqual([
      ['refs/heads/feature-a', true, 1],
    ]);
    const { data: pull } = await gh.rest.pulls.create({ ...params, head: 'feature-a', base: 'main', title: 'A' });
    mark = received.length;
    await pushFiles(twin, 'owner', 'b', { 'a.txt': 'a, again\n' }, 'Change a', 'feature-a');
    await twin.idle();
    expect(since(mark, 'push').map((r) => [r.payload.created, r.payload.forced])).toEqual([[false, false]]);
    const synchronize = since(mark, 'pull_request').find((r) => r.payload.action === 'synchronize');
    expect(synchronize?.payload.number).toBe(pull.number);
    expect(synchronize?.payload.before).not.toBe(synchronize?.payload.after);
    expect(twin.violations).toEqual([]);
  });

  it('retargets dependents before it deletes a merged head, when the repository asks for that', async () => {
    const gh = twin.octokit('owner');
    await gh.rest.repos.update({ ...params, delete_branch_on_merge: true });
    await pushFiles(twin, 'owner', 'b', { 'p.txt': 'parent\n' }, 'Parent', 'parent');
    await pushFiles(twin, 'owner', 'b', { 'c.txt': 'child\n' }, 'Child', 'parent');
    await pushFiles(twin, 'owner', 'b', { 'c.txt': 'child\n' }, 'Child', 'child');
    const { data: parent } = await gh.rest.pulls.create({ ...params, head: 'parent', base: 'main', title: 'Parent' });
    const { data: child } = await gh.rest.pulls.create({ ...params, head: 'child', base: 'parent', title: 'Child' });
    await twin.idle();
    const mark = received.length;
    await gh.rest.pulls.merge({ ...params, pull_number: parent.number, merge_method: 'squash' });
    await twin.idle();
    const edited = since(mark, 'pull_request').find((r) => r.payload.action === 'edited');
    expect(edited?.payload.number).toBe(child.number);
    expect(edited?.payload.changes?.base?.ref.from).toBe('parent');
    expect(edited?.payload.pull_request?.base.ref).toBe('main');
    expect(since(mark, 'push').map((r) => [r.payload.ref, r.payload.deleted])).toEqual([
      ['refs/heads/main', false],
      ['refs/heads/parent', true],
    ]);
    const { data: now } = await gh.rest.pulls.get({ ...params, pull_number: child.number });
    expect([now.state, now.base.ref]).toEqual(['open', 'main']);
    await gh.rest.repos.update({ ...params, delete_branch_on_merge: false });
    expect(twin.violations).toEqual([]);
  });

  it('closes the pull requests based on a branch deleted through the API', async () => {
    const gh = twin.octokit('owner');
    await pushFiles(twin, 'owner', 'b', { 'q.txt': 'q\n' }, 'Q', 'base-q');
    await pushFiles(twin, 'owner', 'b', { 'r.txt': 'r\n' }, 'R', 'on-q');
    const { data: dependent } = await gh.rest.pulls.create({ ...params, head: 'on-q', base: 'base-q', title: 'On Q' });
    await gh.rest.git.deleteRef({ ...params, ref: 'heads/base-q' });
    await twin.idle();
    const { data: now } = await gh.rest.pulls.get({ ...params, pull_number: dependent.number });
    expect(now.state).toBe('closed');
    expect(now.merged).toBe(false);
    expect(twin.violations).toEqual([]);
  });

  it('updates a branch that is behind with a merge of its base, and says edited with the base it had', async () => {
    const gh = twin.octokit('owner');
    await pushFiles(twin, 'owner', 'b', { 'u.txt': 'u\n' }, 'U', 'behind');
    const { data: pull } = await gh.rest.pulls.create({ ...params, head: 'behind', base: 'main', title: 'Behind' });
    await pushFiles(twin, 'owner', 'b', { 'elsewhere.txt': 'main moved\n' }, 'Main moves');
    await expect(
      gh.rest.pulls.updateBranch({ ...params, pull_number: pull.number, expected_head_sha: '0'.repeat(40) }),
    ).rejects.toMatchObject({ status: 422 });
    const mark = received.length;
    const { status } = await gh.rest.pulls.updateBranch({ ...params, pull_number: pull.number });
    expect(status).toBe(202);
    await twin.idle();
    expect(since(mark, 'pull_request').map((r) => r.payload.action)).toContain('synchronize');
    await expect(gh.rest.pulls.updateBranch({ ...params, pull_number: pull.number })).rejects.toMatchObject({
      status: 422,
    });

    await pushFiles(twin, 'owner', 'b', { 'other.txt': 'o\n' }, 'Other', 'other-base');
    const before = received.length;
    await gh.rest.pulls.update({ ...params, pull_number: pull.number, base: 'other-base' });
    await twin.idle();
    const edited = since(before, 'pull_request').find((r) => r.payload.action === 'edited');
    expect(edited?.payload.changes?.base?.ref.from).toBe('main');
    expect(twin.violations).toEqual([]);
  });

  it('refuses a push with a file over 100 MiB, as GitHub does, and warns over 50 MiB', async () => {
    const gh = twin.octokit('owner');
    const mib = 1024 * 1024;
    await expect(
      pushFiles(twin, 'owner', 'b', { 'data/huge.bin': 'x'.repeat(101 * mib) }, 'Huge', 'huge'),
    ).rejects.toThrow(
      /File data\/huge\.bin is 101\.00 MB; this exceeds GitHub's file size limit of 100\.00 MB[\s\S]*GH001/,
    );
    await expect(gh.rest.git.getRef({ ...params, ref: 'heads/huge' })).rejects.toMatchObject({ status: 404 });
    await pushFiles(twin, 'owner', 'b', { 'data/big.bin': 'x'.repeat(51 * mib) }, 'Big', 'big');
    expect((await gh.rest.git.getRef({ ...params, ref: 'heads/big' })).status).toBe(200);
  });
});
