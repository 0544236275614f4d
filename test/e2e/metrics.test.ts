/** `/metrics` after a run: what a Prometheus scrape of the web role sees. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newFileDiff } from '../support/git.ts';
import {
  addLabel,
  eventually,
  openIssue,
  startStack,
  statusComment,
  statusShowing,
  TEST_MODE,
  type Stack,
} from '../support/stack.ts';

describe.skipIf(TEST_MODE === 'postgres')('metrics', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('counts runs by state and agent, their durations and queue waits, webhook answers and GitHub requests', async () => {
    const issue = await openIssue(
      stack,
      'Add a page',
      `\`\`\`diff\n${newFileDiff('docs/page.md', ['# Page'])}\`\`\`\n`,
    );
    await addLabel(stack, issue, 'agent:patch');
    await statusShowing(stack, issue, 'Succeeded');
    // The comment is written a moment before the worker counts the run.
    const text = await eventually(
      async () => {
        const response = await fetch(`${stack.app?.web?.url ?? ''}/metrics`);
        const body = await response.text();
        return response.status === 200 &&
          body.includes('switchyard_runs_finished_total{state="succeeded",agent="patch"} 1')
          ? body
          : undefined;
      },
      10_000,
      'the finished run counted',
    );
    expect(text).toMatch(/switchyard_run_duration_seconds_count\{agent="patch",state="succeeded"\} 1/);
    expect(text).toMatch(/switchyard_queue_wait_seconds_count\{agent="patch"\} 1/);
    expect(text).toMatch(/switchyard_webhook_ack_seconds_count\{status="200"\} [1-9]/);
    expect(text).toMatch(/switchyard_github_requests_total\{method="POST",status="201"\} [1-9]/);
    expect(text).toMatch(/switchyard_runs\{state="running"\} 0/);
    expect(text).toMatch(/switchyard_slot_utilisation 0/);
    expect(text).toContain('switchyard_process_resident_memory_bytes');
    for (const step of ['request', 'token', 'fetch', 'worktree', 'agent', 'snapshot', 'push', 'pullRequest'])
      expect(text).toMatch(new RegExp(`switchyard_run_step_seconds_count\\{step="${step}"\\} 1`));
  });

  it('stores where the run spent its time, step by step, and shows it on the run page', async () => {
    const run = (await stack.store.listRuns())[0];
    const steps = run?.steps ?? {};
    for (const step of [
      'request',
      'token',
      'lock',
      'fetch',
      'worktree',
      'setup',
      'agent',
      'snapshot',
      'push',
      'release',
    ])
      expect(steps, step).toHaveProperty(step);
    expect(steps.pullRequest).toBeGreaterThan(0);
    // The steps lie inside the run: their sum is not more than the run took.
    const took = (run?.finishedAt?.getTime() ?? 0) - (run?.startedAt?.getTime() ?? 0);
    const sum = Object.values(steps).reduce((a, b) => a + b, 0);
    expect(sum).toBeLessThanOrEqual(took + 50);
    expect(sum).toBeGreaterThan(took * 0.5);
  });

  it('says nothing of a pull request that merges and collides with nothing, yet checks it', async () => {
    const checked = await eventually(
      async () => {
        const run = (await stack.store.listRuns())[0];
        return run?.mergeability ? run : undefined;
      },
      30_000,
      'the mergeability check of the pull request',
    );
    expect(checked.mergeability).toMatchObject({ state: 'clean', action: 'none', collidesWith: [] });
    const { data: pull } = await stack.gh.rest.pulls.get({
      owner: stack.owner,
      repo: stack.repo,
      pull_number: checked.pullRequestNumber ?? 0,
    });
    expect(pull.body).not.toContain('Mergeability');
    expect(await statusComment(stack, checked.issueNumber)).not.toContain('Mergeable');
  });
});
