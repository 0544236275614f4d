/**
 * The twin keeps CI results as GitHub does: check runs only from a GitHub App (a person's token is
 * refused), grouped in one suite per app and commit, listed per ref with the newest run of each
 * name; commit statuses from people with write access, combined per commit; the `check_run`,
 * `check_suite` and `status` webhooks; and a pull request `unstable` while a check fails or runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubTwin } from '@switchyard/github-twin';
import { pushFiles } from '@switchyard/github-twin/seed';
import { settledPull } from '../support/twin-pulls.ts';

describe('twin checks and statuses', () => {
  let twin: GitHubTwin;
  const params = { owner: 'owner', repo: 'c' };
  beforeAll(async () => {
    twin = await GitHubTwin.start();
    await twin.octokit('owner').rest.repos.createForAuthenticatedUser({ name: 'c', auto_init: true });
    await pushFiles(twin, 'owner', 'c', { 'src/a.ts': 'a\n' });
  });
  afterAll(async () => {
    await twin.stop();
  });

  const settled = (number: number) => settledPull(twin, params, number);

  it('takes check runs from an app only, lists the newest per name, and sends their events', async () => {
    const gh = twin.octokit('owner');
    const ci = twin.installOtherApp('owner', { slug: 'twin-ci', name: 'Twin CI' });
    await pushFiles(twin, 'owner', 'c', { 'src/b.ts': 'b\n' }, 'Add b', 'b');
    const { data: pull } = await gh.rest.pulls.create({ ...params, head: 'b', base: 'main', title: 'Add b' });
    const sha = pull.head.sha;

    // A person's token cannot make a check run; an unknown commit is refused.
    await expect(gh.rest.checks.create({ ...params, name: 'test', head_sha: sha })).rejects.toMatchObject({
      status: 403,
    });
    await expect(
      ci.octokit.rest.checks.create({ ...params, name: 'test', head_sha: '0'.repeat(40) }),
    ).rejects.toMatchObject({ status: 422 });

    const { data: running } = await ci.octokit.rest.checks.create({
      ...params,
      name: 'test',
      head_sha: sha,
      status: 'in_progress',
    });
    expect(running).toMatchObject({ status: 'in_progress', conclusion: null, app: { slug: 'twin-ci' } });
    expect(await settled(pull.number)).toMatchObject({ mergeable: true, mergeable_state: 'unstable' });

    await ci.octokit.rest.checks.update({
      ...params,
      check_run_id: running.id,
      conclusion: 'failure',
      output: {
        title: '1 test failed',
        summary: 'sum adds',
        text: 'expected 3, got 4',
        annotations: [
          { path: 'src/b.ts', start_line: 1, end_line: 1, annotation_level: 'failure', message: 'wrong sum' },
        ],
      },
    });
    await twin.idle();
    const { data: listed } = await gh.rest.checks.listForRef({ ...params, ref: 'b' });
    expect(listed.total_count).toBe(1);
    expect(listed.check_runs[0]).toMatchObject({
      name: 'test',
      conclusion: 'failure',
      output: { title: '1 test failed', annotations_count: 1 },
      pull_requests: [{ number: pull.number }],
    });
    const { data: annotations } = await gh.rest.checks.listAnnotations({ ...params, check_run_id: running.id });
    expect(annotations).toMatchObject([{ path: 'src/b.ts', message: 'wrong sum', annotation_level: 'failure' }]);
    expect((await settled(pull.number)).mergeable_state).toBe('unstable');

    // Only the app that made a run may change it.
    const other = twin.installOtherApp('owner', { slug: 'other-ci' });
    await expect(
      other.octokit.rest.checks.update({ ...params, check_run_id: running.id, conclusion: 'success' }),
    ).rejects.toMatchObject({ status: 403 });

    // A re-run of the same name on the same commit replaces it in the list (filter=latest).
    await ci.octokit.rest.checks.create({ ...params, name: 'test', head_sha: sha, conclusion: 'success' });
    await twin.idle();
    const { data: again } = await gh.rest.checks.listForRef({ ...params, ref: sha });
    expect(again.check_runs.map((r) => r.conclusion)).toEqual(['success']);
    const { data: all } = await gh.rest.checks.listForRef({ ...params, ref: sha, filter: 'all' });
    expect(all.total_count).toBe(2);
    expect((await settled(pull.number)).mergeable_state).toBe('clean');

    const events = twin.deliveries.filter((d) => d.event === 'check_run' || d.event === 'check_suite');
    expect(events.map((d) => `${d.event}.${d.action}`)).toEqual([
      'check_run.created',
      'check_run.completed',
      'check_suite.completed',
      'check_run.created',
      'check_suite.completed',
    ]);
    const suite = events.at(-1)?.payload.check_suite as {
      conclusion: string;
      pull_requests: Array<{ number: number }>;
    };
    expect(suite.conclusion).toBe('success');
    expect(suite.pull_requests.map((p) => p.number)).toEqual([pull.number]);
    expect(twin.violations).toEqual([]);
  });

  it('combines commit statuses per context, from people with write access', async () => {
    const gh = twin.octokit('owner');
    await pushFiles(twin, 'owner', 'c', { 'src/s.ts': 's\n' }, 'Add s', 's');
    const { data: pull } = await gh.rest.pulls.create({ ...params, head: 's', base: 'main', title: 'Add s' });
    const sha = pull.head.sha;
    expect((await gh.rest.repos.getCombinedStatusForRef({ ...params, ref: sha })).data).toMatchObject({
      state: 'pending',
      total_count: 0,
    });
    twin.setPermission('owner', 'c', 'reader', 'read');
    await expect(
      twin.octokit('reader').rest.repos.createCommitStatus({ ...params, sha, state: 'success' }),
    ).rejects.toMatchObject({ status: 403 });

    await gh.rest.repos.createCommitStatus({ ...params, sha, state: 'pending', context: 'ci/lint' });
    await gh.rest.repos.createCommitStatus({ ...params, sha, state: 'success', context: 'ci/build' });
    expect((await gh.rest.repos.getCombinedStatusForRef({ ...params, ref: 's' })).data.state).toBe('pending');
    expect((await settled(pull.number)).mergeable_state).toBe('unstable');
    await gh.rest.repos.createCommitStatus({
      ...params,
      sha,
      state: 'failure',
      context: 'ci/lint',
      description: '3 problems',
    });
    const { data: combined } = await gh.rest.repos.getCombinedStatusForRef({ ...params, ref: sha });
    expect(combined.state).toBe('failure');
    expect(combined.statuses.map((s) => `${s.context}:${s.state}`).sort()).toEqual([
      'ci/build:success',
      'ci/lint:failure',
    ]);
    await twin.idle();
    const status = twin.deliveries.filter((d) => d.event === 'status').at(-1)?.payload as {
      state: string;
      branches: Array<{ name: string }>;
    };
    expect(status).toMatchObject({ state: 'failure', branches: [{ name: 's' }] });
    expect(twin.violations).toEqual([]);
  });
});
