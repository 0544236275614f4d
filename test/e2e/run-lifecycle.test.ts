/** How runs end, as a maintainer sees it: timeouts, cancels, kept work, and a full disk. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/domain/run.ts';
import { processesLeftUnder } from '../support/processes.ts';
import {
  addLabel,
  eventually,
  lastRun,
  openIssue,
  startStack,
  statusComment,
  statusShowing,
  type Stack,
} from '../support/stack.ts';

const agent = (script: string, timeout: number | string = 60_000) => ({
  kind: 'command' as const,
  command: ['sh', '-c', script],
  timeout: typeof timeout === 'number' ? timeout : 60_000,
  passEnv: [],
  env: {},
});

describe('run lifecycle', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      concurrency: 3,
      agents: {
        stuck: agent('echo started; sleep 120', 1500),
        busy: agent('echo draft > draft.txt; echo working; sleep 120'),
        steps: agent('for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do echo "step $i of 16"; sleep 0.5; done'),
        silent: { ...agent('sleep 120'), stallTimeout: 1500 },
      },
      env: { SWITCHYARD_PROGRESS_INTERVAL: '1s', SWITCHYARD_STATUS_INTERVAL: '1s' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('times out an agent and says after how long', async () => {
    const issue = await openIssue(stack, 'Never ends', 'Loop forever.');
    await addLabel(stack, issue, 'agent:stuck');
    const status = await statusShowing(stack, issue, 'Timed out');
    expect(status).toMatch(/time limit of 1\.5 s and was stopped after 1\.\d s/);
    expect(status).toContain('started');
    expect((await lastRun(stack, issue))?.state).toBe('timed_out');
  });

  it("keeps the running comment current: the time it has run, since when, and the agent's last line", async () => {
    const issue = await openIssue(stack, 'Report progress', 'Count to sixteen.');
    await addLabel(stack, issue, 'agent:steps');
    const status = await statusShowing(stack, issue, 'Last output: ` step');
    expect(status).toMatch(/Running\*\* for \d+\.\d s \(since \d\d:\d\d:\d\d UTC\)/);
    expect(status).toMatch(/Last output: ` step \d+ of 16 `/);
    // The comment keeps moving while the agent runs, and the last line goes once it has ended.
    const first = /step (\d+) of 16/.exec(status)?.[1];
    await eventually(
      async () => {
        const step = /step (\d+) of 16/.exec((await statusComment(stack, issue)) ?? '')?.[1];
        return step && step !== first ? true : undefined;
      },
      15_000,
      'a later step in the comment',
    );
    expect(await statusShowing(stack, issue, 'Succeeded', 30_000)).not.toContain('Last output');
  });

  it('ends an agent that goes silent as stalled, and says for how long', async () => {
    const issue = await openIssue(stack, 'Goes quiet', 'Wait for nothing.');
    await addLabel(stack, issue, 'agent:silent');
    const status = await statusShowing(stack, issue, 'Stalled');
    expect(status).toMatch(/printed nothing and changed no file for 1\.5 s and was stopped after \d/);
    expect((await lastRun(stack, issue))?.state).toBe('stalled');
  });

  it('cancels a running agent when its label is removed, and keeps its work on the branch', async () => {
    const issue = await openIssue(stack, 'Stop me', 'Work slowly.');
    await addLabel(stack, issue, 'agent:busy');
    await statusShowing(stack, issue, 'Running');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stack.gh.rest.issues.removeLabel({
      owner: stack.owner,
      repo: stack.repo,
      issue_number: issue,
      name: 'agent:busy',
    });
    const status = await statusShowing(stack, issue, 'Cancelled');
    expect(status).toMatch(/Cancelled after \d+\.\d s: @octo-org removed the `agent:busy` label/);
    const run = (await lastRun(stack, issue)) as RunRecord;
    expect(status).toContain(`Work kept on branch \`${run.branch}\``);
    const { data: branch } = await stack.gh.request('GET /repos/{owner}/{repo}/pulls', {
      owner: stack.owner,
      repo: stack.repo,
      head: `${stack.owner}:${run.branch}`,
      state: 'all',
    });
    expect(branch).toEqual([]);
    for (const dir of stack.dataDirs) expect(await processesLeftUnder(dir)).toEqual([]);
  });

  it('cancels a running agent when the issue is closed', async () => {
    const issue = await openIssue(stack, 'Close me', 'Work slowly.');
    await addLabel(stack, issue, 'agent:busy');
    await statusShowing(stack, issue, 'Running');
    await stack.gh.rest.issues.update({ owner: stack.owner, repo: stack.repo, issue_number: issue, state: 'closed' });
    // Generous: the suite runs two e2e files at once on two cores, one of them a batch of agent runs.
    expect(await statusShowing(stack, issue, 'Cancelled', 90_000)).toContain('@octo-org closed the issue');
  });
});

describe('disk guard', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { SWITCHYARD_MIN_FREE_DISK_MB: String(1024 * 1024 * 1024) } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('holds a run while the disk is nearly full, with the reason, and keeps it', async () => {
    const issue = await openIssue(stack, 'No room', 'Anything.');
    await addLabel(stack, issue, 'agent:patch');
    const status = await statusShowing(stack, issue, 'Waiting', 90_000);
    expect(status).toMatch(/waits for disk space: \d+ MiB free where Switchyard keeps worktrees, \d+ MiB needed/);
    expect((await lastRun(stack, issue))?.state).toBe('waiting');
  });
});
