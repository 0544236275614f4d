/**
 * The twin computes mergeability as GitHub does (REST "Get a pull request": `mergeable` is `null`
 * while a background job computes it): with `git merge-tree`, lazily, again after either side moves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubTwin } from '@switchyard/github-twin';
import { pushFiles } from '@switchyard/github-twin/seed';
import { settledPull } from '../support/twin-pulls.ts';

describe('twin mergeability', () => {
  let twin: GitHubTwin;
  const params = { owner: 'owner', repo: 'm' };
  beforeAll(async () => {
    twin = await GitHubTwin.start();
    await twin.octokit('owner').rest.repos.createForAuthenticatedUser({ name: 'm', auto_init: true });
    await pushFiles(twin, 'owner', 'm', { 'CHANGELOG.md': '# Changelog\n\n## Unreleased\n', 'src/a.ts': 'a\n' });
  });
  afterAll(async () => {
    await twin.stop();
  });

  const settled = (number: number) => settledPull(twin, params, number);

  it('answers null first, then clean, behind or dirty as the base moves', async () => {
    const gh = twin.octokit('owner');
    await pushFiles(twin, 'owner', 'm', { 'CHANGELOG.md': '# Changelog\n\n## Unreleased\n\n- Add b\n' }, 'Add b', 'b');
    const { data: created } = await gh.rest.pulls.create({ ...params, head: 'b', base: 'main', title: 'Add b' });
    // Creating it starts the check: its answer does not know yet.
    expect(created.mergeable).toBeNull();
    expect(created.mergeable_state).toBe('unknown');
    expect(await settled(created.number)).toMatchObject({ mergeable: true, mergeable_state: 'clean' });

    // The base moves without touching the changelog: still mergeable, but behind.
    await pushFiles(twin, 'owner', 'm', { 'src/c.ts': 'c\n' }, 'Add c');
    expect((await gh.rest.pulls.get({ ...params, pull_number: created.number })).data.mergeable).toBeNull();
    expect(await settled(created.number)).toMatchObject({ mergeable: true, mergeable_state: 'behind' });

    // A sibling lands its own line under the same heading: the pull request conflicts.
    await pushFiles(twin, 'owner', 'm', { 'CHANGELOG.md': '# Changelog\n\n## Unreleased\n\n- Add d\n' }, 'Add d');
    expect(await settled(created.number)).toMatchObject({ mergeable: false, mergeable_state: 'dirty' });
    await expect(gh.rest.pulls.merge({ ...params, pull_number: created.number })).rejects.toMatchObject({
      status: 405,
    });
    expect(twin.violations).toEqual([]);
  });
});
