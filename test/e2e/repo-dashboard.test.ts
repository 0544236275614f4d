/**
 * The repository dashboard issue (`dashboard: true`): it lists running, waiting, failed and
 * finished runs, and a box ticked under "Recent failures" by someone with write access retries
 * that issue's run; from anyone else it gets a refusal and no run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_TITLE } from '../../src/github/repo-dashboard.ts';
import {
  addLabel,
  eventually,
  lastRun,
  openIssue,
  otherComments,
  startStack,
  statusShowing,
  type Stack,
} from '../support/stack.ts';

// Fails the first time it runs, succeeds after: the flag file outlives the worktree.
const FLAKY = [
  'sh',
  '-c',
  'if [ -f "$FLAG" ]; then echo fixed > fixed.txt; else touch "$FLAG"; echo "first try fails"; exit 4; fi',
];

describe('the repository dashboard issue', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-flaky-'));
    stack = await startStack({
      files: { '.github/switchyard.yml': 'dashboard: true\n' },
      agents: {
        flaky: { kind: 'command', command: FLAKY, timeout: 60_000, passEnv: [], env: { FLAG: join(dir, 'flag') } },
      },
      env: { SWITCHYARD_SANDBOX: 'none' },
    });
    stack.twin.setPermission(stack.owner, stack.repo, 'tina', 'triage');
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const dashboard = () =>
    eventually(
      async () => {
        const { data } = await stack.gh.rest.issues.listForRepo({
          owner: stack.owner,
          repo: stack.repo,
          state: 'open',
          per_page: 100,
        });
        return data.find((issue) => issue.title === DASHBOARD_TITLE);
      },
      30_000,
      'the dashboard issue',
    );
  const dashboardShowing = (text: string) =>
    eventually(
      async () => {
        const issue = await dashboard();
        return issue.body?.includes(text) ? issue : undefined;
      },
      30_000,
      `the dashboard showing ${text}`,
    );

  it("lists a failure with a retry box, refuses a tick from someone without write access, and retries on a writer's tick", async () => {
    const issue = await openIssue(stack, 'Flaky fix', 'Fix it.');
    await addLabel(stack, issue, 'agent:flaky');
    await statusShowing(stack, issue, 'Failed');
    const box = `- [ ] <!-- retry:${issue} --> #${issue} Flaky fix: failed, The flaky agent exited with code 4.`;
    const board = await dashboardShowing(box);
    expect(board.body).toContain('## Running\n\nNothing is running.');
    // Exactly one dashboard issue, whatever the number of status writes.
    const { data: all } = await stack.gh.rest.issues.listForRepo({
      owner: stack.owner,
      repo: stack.repo,
      state: 'all',
      per_page: 100,
    });
    expect(all.filter((i) => i.title === DASHBOARD_TITLE)).toHaveLength(1);

    const ticked = (board.body ?? '').replace(`- [ ] <!-- retry:${issue} -->`, `- [x] <!-- retry:${issue} -->`);
    await stack.twin
      .octokit('tina')
      .rest.issues.update({ owner: stack.owner, repo: stack.repo, issue_number: board.number, body: ticked });
    await eventually(
      async () =>
        (await otherComments(stack, board.number)).find((c) => c.startsWith('@tina, only people with write access')),
      20_000,
      'the refusal',
    );
    expect((await lastRun(stack, issue))?.attempt).toBe(1);
    // The box is cleared again, and a writer ticks it.
    await dashboardShowing(box);
    await stack.gh.rest.issues.update({
      owner: stack.owner,
      repo: stack.repo,
      issue_number: board.number,
      body: ticked,
    });
    await statusShowing(stack, issue, /attempt 2[\s\S]*Succeeded/);
    const after = await dashboardShowing(`- #${issue} Flaky fix: succeeded #`);
    expect(after.body).toContain('No run failed in the last week.');
  });
});
