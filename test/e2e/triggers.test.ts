/** Who and what starts a run: duplicates, permissions, bots, unknown agents. */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newFileDiff } from '../support/git.ts';
import {
  addLabel,
  eventually,
  openIssue,
  otherComments,
  startStack,
  statusShowing,
  type Stack,
} from '../support/stack.ts';

const patchBody = (path: string) => `\`\`\`diff\n${newFileDiff(path, ['content'])}\`\`\`\n`;

describe('triggers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      concurrency: 1,
      agents: {
        // Holds the only slot for a while, so that other runs stay queued.
        slow: { kind: 'command', command: ['sleep', '4'], timeout: 60_000, passEnv: [], env: {} },
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('runs once when GitHub redelivers the same delivery', async () => {
    const issue = await openIssue(stack, 'Redelivered trigger', patchBody('redelivered.txt'));
    await addLabel(stack, issue, 'agent:patch');
    await statusShowing(stack, issue, 'Succeeded');
    await stack.twin.idle();

    const recorded = stack.twin.deliveries.find(
      (d) => d.event === 'issues' && d.action === 'labeled' && (d.payload.issue as { number: number }).number === issue,
    );
    const app = stack.twin.appOctokit();
    const { data: listed } = await app.request('GET /app/hook/deliveries');
    const labeled = listed.find((d) => d.guid === recorded?.id);
    expect(labeled).toBeDefined();
    await app.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: Number(labeled?.id) });
    await app.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: Number(labeled?.id) });
    await stack.twin.idle();
    await sleep(1500);

    const redeliveries = stack.twin.deliveries.filter((d) => d.redelivery && d.id === recorded?.id);
    expect(redeliveries).toHaveLength(2);
    expect(redeliveries.every((d) => d.status === 200)).toBe(true);
    const runs = (await stack.store.listRuns()).filter((r) => r.issueNumber === issue);
    expect(runs).toHaveLength(1);
    expect(stack.logs.some((l) => l.includes('redelivery of a recorded delivery ignored'))).toBe(true);
  });

  it('folds a second labelling into the run that is still queued', async () => {
    const blocker = await openIssue(stack, 'Hold the slot', 'Takes a while.');
    await addLabel(stack, blocker, 'agent:slow');
    await statusShowing(stack, blocker, 'Running');

    const issue = await openIssue(stack, 'Labelled twice', patchBody('twice.txt'));
    await addLabel(stack, issue, 'agent:patch');
    await statusShowing(stack, issue, /Queued|Waiting/);
    // A second agent label on the same issue while its run is queued: one run per issue.
    await addLabel(stack, issue, 'agent:slow');
    await stack.twin.idle();

    await statusShowing(stack, issue, 'Succeeded', 60_000);
    await sleep(1500);
    const runs = (await stack.store.listRuns()).filter((r) => r.issueNumber === issue);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.agent).toBe('patch');
    const { data: pulls } = await stack.gh.rest.pulls.list({ owner: stack.owner, repo: stack.repo, state: 'all' });
    expect(pulls.filter((p) => p.body?.includes(`Closes #${issue}`))).toHaveLength(1);
  });

  it('cancels a queued run when its label is removed, and starts a new one when it is added again', async () => {
    const blocker = await openIssue(stack, 'Hold the slot again', 'Takes a while.');
    await addLabel(stack, blocker, 'agent:slow');
    await statusShowing(stack, blocker, 'Running');

    const issue = await openIssue(stack, 'Changed my mind', patchBody('mind.txt'));
    await addLabel(stack, issue, 'agent:patch');
    await statusShowing(stack, issue, /Queued|Waiting/);
    await stack.gh.rest.issues.removeLabel({
      owner: stack.owner,
      repo: stack.repo,
      issue_number: issue,
      name: 'agent:patch',
    });
    const cancelled = await statusShowing(stack, issue, 'Cancelled');
    expect(cancelled).toContain(`@${stack.owner} removed the \`agent:patch\` label`);

    await addLabel(stack, issue, 'agent:patch');
    await statusShowing(stack, issue, 'Succeeded', 60_000);
    const runs = (await stack.store.listRuns()).filter((r) => r.issueNumber === issue);
    expect(runs.map((r) => r.state)).toEqual(['cancelled', 'succeeded']);
    // A later trigger continues the issue's branch, as the next attempt.
    expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
    expect(runs[1]?.branch).toBe(runs[0]?.branch);
  });

  it('refuses a sender without write access with a comment, and starts nothing', async () => {
    stack.twin.setPermission(stack.owner, stack.repo, 'triager', 'triage');
    const triager = stack.twin.octokit('triager');
    const issue = await openIssue(stack, 'Not yours to start', patchBody('refused.txt'));
    await addLabel(stack, issue, 'agent:patch', triager);

    const comments = await eventually(
      async () => {
        const found = await otherComments(stack, issue);
        return found.length > 0 ? found : undefined;
      },
      20_000,
      'refusal comment',
    );
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain('@triager');
    expect(comments[0]).toContain('write access');
    // GitHub reports triage as `read` in `permission`; the comment names the precise role.
    expect(comments[0]).toContain('`triage`');
    expect((await stack.store.listRuns()).filter((r) => r.issueNumber === issue)).toHaveLength(0);
  });

  it('ignores a label added by a bot', async () => {
    stack.twin.createUser('renovate[bot]', 'Bot');
    stack.twin.setPermission(stack.owner, stack.repo, 'renovate[bot]', 'write');
    const bot = stack.twin.octokit('renovate[bot]');
    const issue = await openIssue(stack, 'Bot labelled', patchBody('bot.txt'));
    await addLabel(stack, issue, 'agent:patch', bot);
    await stack.twin.idle();
    await sleep(2000);

    expect(await otherComments(stack, issue)).toEqual([]);
    expect((await stack.store.listRuns()).filter((r) => r.issueNumber === issue)).toHaveLength(0);
    expect(stack.logs.some((l) => l.includes('label added by bot renovate[bot]'))).toBe(true);
  });

  it('answers an unknown agent with the list of agents that exist', async () => {
    const issue = await openIssue(stack, 'Unknown agent', 'Anything.');
    await addLabel(stack, issue, 'agent:foo');
    const comments = await eventually(
      async () => {
        const found = await otherComments(stack, issue);
        return found.length > 0 ? found : undefined;
      },
      20_000,
      'unknown agent comment',
    );
    expect(comments[0]).toContain('`agent:foo` does not name an agent');
    expect(comments[0]).toContain('`agent:patch`');
    expect(comments[0]).toContain('`agent:slow`');
    expect((await stack.store.listRuns()).filter((r) => r.issueNumber === issue)).toHaveLength(0);
    await stack.twin.idle();
    expect(stack.twin.violations).toEqual([]);
  });
});
