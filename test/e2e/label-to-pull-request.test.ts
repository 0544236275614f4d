import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RepoCache } from '../../src/runner/repo-cache.ts';
import { STATUS_MARKER } from '../../src/github/status-comment.ts';
import { eventually, startStack, type Stack } from '../support/stack.ts';
import { newFileDiff, pushFiles } from '../support/git.ts';
import { processesLeftUnder } from '../support/processes.ts';

describe('from an agent:patch label to a pull request', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { SWITCHYARD_GITHUB_PACING: 'on' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('turns three issues labelled within a second into three pull requests and three succeeded status comments', async () => {
    const { gh, owner, repo, twin } = stack;
    const numbers: number[] = [];
    for (const n of [1, 2, 3]) {
      const body = `Please add a file.\n\n\`\`\`diff\n${newFileDiff(`docs/note-${n}.md`, [`# Note ${n}`, 'written by the patch agent'])}\`\`\`\n`;
      const { data } = await gh.rest.issues.create({ owner, repo, title: `Add note ${n}`, body });
      numbers.push(data.number);
    }
    await Promise.all(
      numbers.map((issue_number) => gh.rest.issues.addLabels({ owner, repo, issue_number, labels: ['agent:patch'] })),
    );

    const pulls = await eventually(
      async () => {
        const { data } = await gh.rest.pulls.list({ owner, repo, state: 'open' });
        return data.length === 3 ? data : undefined;
      },
      60_000,
      'three pull requests',
    );
    for (const number of numbers) {
      expect(pulls.some((p) => p.body?.includes(`Closes #${number}`))).toBe(true);
    }
    for (const issue_number of numbers) {
      const comment = await eventually(
        async () => {
          const { data } = await gh.rest.issues.listComments({ owner, repo, issue_number });
          const status = data.filter((c) => c.body?.startsWith(STATUS_MARKER));
          expect(status).toHaveLength(1);
          return status[0]?.body?.includes('Succeeded') ? status[0] : undefined;
        },
        30_000,
        `succeeded status on #${issue_number}`,
      );
      expect(comment.body).toMatch(/pull request #\d+/);
      const { data: reactions } = await gh.rest.reactions.listForIssue({ owner, repo, issue_number });
      expect(reactions.map((r) => r.content)).toContain('eyes');
    }
    const { data: files } = await gh.rest.pulls.get({ owner, repo, pull_number: pulls[0]!.number });
    expect(files.changed_files).toBe(1);

    // No worktree, private run folder or agent process outlives its runs.
    for (const dir of stack.dataDirs) {
      expect(await new RepoCache(dir).worktrees({ owner, name: repo })).toEqual([]);
      expect(await readdir(join(dir, 'runs')).catch(() => [])).toEqual([]);
    }
    for (const dir of stack.dataDirs) expect(await processesLeftUnder(dir)).toEqual([]);
    await twin.idle();
    expect(twin.violations).toEqual([]);
  });

  it('checks their mergeability without asking GitHub while nobody moves the base, and asks once someone does', async () => {
    const { owner, repo, twin } = stack;
    const listsOfPulls = () =>
      twin.requests.filter(
        (r) => r.operationId === 'pulls/list' && (r.actor === 'app' || r.actor === 'switchyard[bot]'),
      ).length;
    const opened = async () =>
      (await stack.store.listRuns()).filter((run) => run.pullRequestNumber !== null && run.state === 'succeeded');
    // Each run's end asked for a pass; with one worker, each found the new pull request mergeable
    // from the mirror alone. With several, a head another worker pushed is not in this worker's
    // mirror: that pass reads GitHub, and may find a pull request behind a base its run's
    // worker had not fetched yet.
    const oneWorker = stack.dataDirs.length === 1;
    const recorded = await eventually(
      async () => {
        const runs = await opened();
        if (
          runs.length === 3 &&
          runs.every((run) => run.mergeability && (!oneWorker || run.mergeability.state === 'clean'))
        )
          return runs;
        throw new Error(JSON.stringify(runs.map((run) => run.mergeability)));
      },
      30_000,
      'three pull requests recorded mergeable',
    );
    if (oneWorker) {
      expect(recorded.map((run) => run.mergeability?.said)).toEqual(Array(3).fill('Mergeable into `main`.'));
      expect(listsOfPulls()).toBe(0);
    }
    const before = listsOfPulls();

    // A person's commit on main: the next pass reads the pull requests from GitHub and finds them behind.
    await pushFiles(twin, owner, repo, { 'docs/unrelated.md': '# Unrelated\n' });
    await eventually(
      async () => ((await opened()).every((run) => run.mergeability?.state === 'behind') ? true : undefined),
      30_000,
      'three pull requests recorded behind main',
    );
    expect(listsOfPulls()).toBeGreaterThan(before);
  });
});
