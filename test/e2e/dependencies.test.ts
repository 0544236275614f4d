/** Batches planned by the scheduler: dependencies, merges, stacked branches, cycles and config errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/domain/run.ts';
import { newFileDiff, pushFiles } from '../support/git.ts';
import {
  addLabel,
  lastRun,
  eventually,
  openIssue,
  otherComments,
  startStack,
  statusComment,
  statusShowing,
  type Stack,
} from '../support/stack.ts';

const patch = (path: string, extra = '') => `${extra}\n\n\`\`\`diff\n${newFileDiff(path, [`# ${path}`])}\`\`\`\n`;

describe('dependencies, merged release', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      concurrency: 4,
      agents: {
        touch: {
          kind: 'command',
          command: ['sh', '-c', 'sleep 2; echo "$SWITCHYARD_ISSUE_NUMBER" >> "touched-$SWITCHYARD_ISSUE_NUMBER.txt"'],
          timeout: 60_000,
          passEnv: [],
          env: {},
        },
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('runs five dependent issues in dependency order, each after its dependencies were merged', async () => {
    const a = await openIssue(stack, 'Base layer', patch('a.md'));
    const b = await openIssue(stack, 'Left', patch('b.md', `Depends on #${a}`));
    const c = await openIssue(stack, 'Right', patch('c.md', `- [ ] blocked by #${a}`));
    const d = await openIssue(stack, 'Join', patch('d.md', `depends on: #${b} and #${c}`));
    const e = await openIssue(stack, 'Roof', patch('e.md', 'Blocked through GitHub issue dependencies.'));
    const { data: blocker } = await stack.gh.rest.issues.get({ owner: stack.owner, repo: stack.repo, issue_number: d });
    await stack.gh.rest.issues.addBlockedByDependency({
      owner: stack.owner,
      repo: stack.repo,
      issue_number: e,
      issue_id: blocker.id,
    });
    for (const issue of [e, d, c, b, a]) await addLabel(stack, issue, 'agent:patch');

    // Early on, the join says what it waits for.
    expect(await statusShowing(stack, d, `waits for #${b}`)).toContain(`#${c}`);

    const merged = new Map<number, number>();
    await eventually(
      async () => {
        const { data: pulls } = await stack.gh.rest.pulls.list({ owner: stack.owner, repo: stack.repo, state: 'open' });
        for (const pull of pulls) {
          // Noted before the merge: a dependent may start only after this moment.
          const issue = Number(/Closes #(\d+)/.exec(pull.body ?? '')?.[1]);
          merged.set(issue, Date.now());
          await stack.gh.rest.pulls.merge({ owner: stack.owner, repo: stack.repo, pull_number: pull.number });
        }
        return merged.size === 5 ? true : undefined;
      },
      90_000,
      'all five pull requests merged',
    );

    const runs = new Map<number, RunRecord>();
    for (const issue of [a, b, c, d, e]) runs.set(issue, (await lastRun(stack, issue)) as RunRecord);
    const start = (issue: number) => runs.get(issue)?.startedAt?.getTime() ?? 0;
    const mergedAt = (issue: number) => merged.get(issue) ?? Infinity;
    for (const [issue, dependencies] of [
      [b, [a]],
      [c, [a]],
      [d, [b, c]],
      [e, [d]],
    ] as const) {
      for (const dependency of dependencies) expect(start(issue)).toBeGreaterThan(mergedAt(dependency));
    }
    expect(runs.get(d)?.dependsOn).toEqual([b, c]);
    expect(runs.get(e)?.dependsOn).toEqual([d]);
    for (const issue of [a, b, c, d, e]) expect(runs.get(issue)?.state).toBe('succeeded');
    // Every issue was closed by its merged pull request.
    const { data: open } = await stack.gh.rest.issues.listForRepo({
      owner: stack.owner,
      repo: stack.repo,
      state: 'open',
    });
    expect(open.filter((i) => [a, b, c, d, e].includes(i.number))).toEqual([]);
    await stack.twin.idle();
    expect(stack.twin.violations).toEqual([]);
  });

  it('closes the batch with a plan report', async () => {
    const batchId = (await lastRun(stack, 1))?.batchId;
    const report = await eventually(
      async () => (batchId ? stack.batches.report(batchId) : undefined),
      10_000,
      'plan report',
    );
    expect(report.runs).toHaveLength(5);
    expect(report.criticalPath.length).toBeGreaterThanOrEqual(4);
    expect(report.makespanMs).toBeGreaterThan(0);
    expect(report.efficiency).toBeGreaterThan(0);
  });

  it('does not run two issues that name the same file at once, and says why', async () => {
    const first = await openIssue(stack, 'Tune the port', 'Change the port in `src/config.ts`.');
    const second = await openIssue(stack, 'Tune the host', 'Files: src/config.ts, src/host.ts');
    await addLabel(stack, first, 'agent:touch');
    await statusShowing(stack, first, 'Running');
    await addLabel(stack, second, 'agent:touch');
    expect(await statusShowing(stack, second, 'Waiting')).toContain(`waits for #${first}: both touch src/config.ts`);
    await statusShowing(stack, second, 'Succeeded', 30_000);
    const [a, b] = [(await lastRun(stack, first)) as RunRecord, (await lastRun(stack, second)) as RunRecord];
    expect(b.startedAt?.getTime() ?? 0).toBeGreaterThanOrEqual(a.finishedAt?.getTime() ?? Infinity);
  });

  it('waits for a person on a dependency that does not exist or lives in another repository', async () => {
    const missing = await openIssue(stack, 'Needs a ghost', patch('ghost.md', 'Depends on #999'));
    const foreign = await openIssue(stack, 'Needs elsewhere', patch('foreign.md', 'Depends on other-org/other-repo#3'));
    await addLabel(stack, missing, 'agent:patch');
    await addLabel(stack, foreign, 'agent:patch');
    expect(await statusShowing(stack, missing, 'Waiting')).toContain('#999, which does not exist');
    expect(await statusShowing(stack, foreign, 'Waiting')).toContain('other-org/other-repo#3 in another repository');
  });
});

describe('dependencies, stacked release, cycles and configuration', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ concurrency: 4 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers an invalid .github/switchyard.yml with the key and the problem, and runs nothing', async () => {
    await pushFiles(
      stack.twin,
      stack.owner,
      stack.repo,
      { '.github/switchyard.yml': 'batching:\n  window: soon\ndependencies:\n  release: eventually\nsurprise: 1\n' },
      'Broken config',
    );
    const issue = await openIssue(stack, 'Under a broken config', patch('broken.md'));
    await addLabel(stack, issue, 'agent:patch');
    const [comment] = await eventually(
      async () => {
        const found = await otherComments(stack, issue);
        return found.length ? found : undefined;
      },
      20_000,
      'config error comment',
    );
    expect(comment).toContain('`.github/switchyard.yml`');
    expect(comment).toContain('`batching.window`: "soon" is not a duration');
    expect(comment).toContain('`dependencies.release`');
    expect(comment).toContain('`surprise`');
    expect(await lastRun(stack, issue)).toBeUndefined();
    expect(await statusComment(stack, issue)).toBeUndefined();
  });

  it("in stacked mode starts a dependent from its dependency's branch, and targets that branch", async () => {
    await pushFiles(
      stack.twin,
      stack.owner,
      stack.repo,
      { '.github/switchyard.yml': 'dependencies:\n  release: stacked\n' },
      'Stacked config',
    );
    const first = await openIssue(stack, 'First floor', patch('floor-1.md'));
    const second = await openIssue(stack, 'Second floor', patch('floor-2.md', `Depends on #${first}`));
    await addLabel(stack, second, 'agent:patch');
    await addLabel(stack, first, 'agent:patch');
    await statusShowing(stack, second, 'Succeeded', 60_000);
    const firstRun = (await lastRun(stack, first)) as RunRecord;
    const secondRun = (await lastRun(stack, second)) as RunRecord;
    expect(secondRun.baseBranch).toBe(firstRun.branch);
    const { data: pull } = await stack.gh.rest.pulls.get({
      owner: stack.owner,
      repo: stack.repo,
      pull_number: secondRun.pullRequestNumber ?? 0,
    });
    expect(pull.base.ref).toBe(firstRun.branch);
    expect(pull.changed_files).toBe(1);
  });

  it('stops every issue on a dependency cycle with a comment naming it, and runs the rest', async () => {
    const x = await openIssue(
      stack,
      'Chicken',
      patch('chicken.md', `Depends on #${stack.twin.state.repo(stack.owner, stack.repo)!.nextNumber + 1}`),
    );
    const y = await openIssue(stack, 'Egg', patch('egg.md', `Depends on #${x}`));
    const free = await openIssue(stack, 'Free range', patch('free.md'));
    for (const issue of [x, y, free]) await addLabel(stack, issue, 'agent:patch');
    const cycle = `#${x} → #${y} → #${x}`;
    expect(await statusShowing(stack, x, 'Cancelled')).toContain(cycle);
    expect(await statusShowing(stack, y, 'Cancelled')).toContain(cycle);
    await statusShowing(stack, free, 'Succeeded');
    await stack.twin.idle();
    expect(stack.twin.violations).toEqual([]);
  });
});
