/**
 * A batch that merges: parallel feature runs that all edit the package's index and changelog are
 * merged one by one by a maintainer who only clicks "merge", a stack of three is merged from the
 * bottom on squash merges, and a pull request a person pushed to is left alone.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/domain/run.ts';
import { featureAgents as agents, featureRepo as files, fileOn, index } from '../support/feature-work.ts';
import { pushFiles } from '../support/git.ts';
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

interface Maintainer {
  merged: number[];
}

/**
 * A maintainer who merges (squash) the first open pull request GitHub calls mergeable, and
 * nothing else: no rebases, no conflict resolution. Only pull requests into `main` when `intoMain`.
 */
async function mergeWhatMerges(stack: Stack, issues: number[], maintainer: Maintainer, timeoutMs: number) {
  const params = { owner: stack.owner, repo: stack.repo };
  await eventually(
    async () => {
      const { data: open } = await stack.gh.rest.pulls.list({
        ...params,
        state: 'open',
        sort: 'created',
        direction: 'asc',
      });
      for (const listed of open) {
        const issue = Number(/Closes #(\d+)/.exec(listed.body ?? '')?.[1]);
        if (!issues.includes(issue)) continue;
        const { data: pull } = await stack.gh.rest.pulls.get({ ...params, pull_number: listed.number });
        if (pull.base.ref !== 'main' || pull.mergeable !== true) continue;
        await stack.gh.rest.pulls.merge({ ...params, pull_number: pull.number, merge_method: 'squash' });
        maintainer.merged.push(issue);
        break;
      }
      return new Set(maintainer.merged).size === issues.length ? true : undefined;
    },
    timeoutMs,
    `all of ${issues.map((i) => `#${i}`).join(', ')} merged (merged so far: ${maintainer.merged.join(', ')})`,
  );
}

describe('six feature issues that edit the same index and changelog', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      concurrency: 3,
      agents,
      files: files('pullRequest:\n  unionMerge: [CHANGELOG.md]\nchecks:\n  - sh scripts/check-index.sh\n'),
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const modules = ['auth', 'cache', 'json', 'retry', 'stream', 'zip'];
  const issues: number[] = [];

  it('ends with six merged pull requests and no git work by the maintainer', async () => {
    for (const module of modules)
      issues.push(await openIssue(stack, `Add ${module} support`, `Module: ${module}\n\nPlease add it.`));
    for (const issue of issues) await addLabel(stack, issue, 'agent:feature');
    for (const issue of issues) await statusShowing(stack, issue, 'Succeeded', 90_000);
    // Before anything merges, auth and cache (one gap of the index) are told they collide; the changelog is union-merged.
    const foreseen = await statusShowing(stack, issues[0] ?? 0, 'whichever merges first');
    expect(foreseen).toMatch(/Conflicts with #\d+ in `src\/index.ts`: whichever merges first/);

    const maintainer: Maintainer = { merged: [] };
    await mergeWhatMerges(stack, issues, maintainer, 150_000);
    // One pull request per issue, each merged once.
    expect(maintainer.merged).toHaveLength(6);

    expect(await fileOn(stack, 'src/index.ts')).toBe(
      index(['auth', 'cache', 'core', 'http', 'json', 'retry', 'stream', 'util', 'zip']),
    );
    const changelog = await fileOn(stack, 'CHANGELOG.md');
    for (const [i, module] of modules.entries())
      expect(changelog).toContain(`- Add the ${module} module (#${issues[i]}).`);
    expect(changelog).not.toMatch(/<<<<<<<|>>>>>>>/);
    for (const module of modules) expect(await fileOn(stack, `src/${module}.ts`)).toContain(module);
    for (const issue of issues) await statusShowing(stack, issue, 'Merged');
    await stack.twin.idle();
    expect(stack.twin.violations).toEqual([]);
  });

  it('replayed where a three-way merge sufficed, and re-ran an agent only where it did not', async () => {
    const runs = (await stack.store.listRuns()).filter((run) => issues.includes(run.issueNumber));
    const repairs = runs.filter((run) => run.trigger.kind === 'repair');
    const replayed = runs.filter((run) => run.mergeability?.action === 'replayed');
    // Every changelog conflict is a union merge; the index lines that land next to each other are not.
    expect(replayed.length).toBeGreaterThan(0);
    for (const repair of repairs) {
      const context = repair.comments.map((c) => c.body).join('\n');
      expect(context).toContain('This is a repair.');
      expect(context).toContain('the same lines of `src/index.ts`.');
      expect(repair.repairs).toBeGreaterThan(0);
      // Within the bound: one that collides with an older open sibling waits for it to merge first, but a
      // younger clean one may still be merged while it is being repaired.
      expect(repair.repairs).toBeLessThanOrEqual(2);
    }
    // Auth and cache share a gap in the index, as do json, retry and stream: someone had to be repaired.
    expect(repairs.length).toBeGreaterThan(0);
  });

  it('leaves a pull request a person pushed to alone, and says so once', async () => {
    const pdf = await openIssue(stack, 'Add pdf support', 'Module: pdf');
    const queue = await openIssue(stack, 'Add queue support', 'Module: queue');
    await addLabel(stack, pdf, 'agent:feature');
    await addLabel(stack, queue, 'agent:feature');
    await statusShowing(stack, pdf, 'Succeeded', 60_000);
    await statusShowing(stack, queue, 'Succeeded', 60_000);
    const queueRun = (await lastRun(stack, queue)) as RunRecord;
    await pushFiles(
      stack.twin,
      stack.owner,
      stack.repo,
      { 'docs/queue.md': '# Queue\n' },
      'Document the queue',
      queueRun.branch,
    );
    const { data: before } = await stack.gh.rest.git.getRef({
      owner: stack.owner,
      repo: stack.repo,
      ref: `heads/${queueRun.branch}`,
    });

    const pdfRun = (await lastRun(stack, pdf)) as RunRecord;
    await eventually(
      async () => {
        const { data } = await stack.gh.rest.pulls.get({
          owner: stack.owner,
          repo: stack.repo,
          pull_number: pdfRun.pullRequestNumber ?? 0,
        });
        return data.mergeable === true ? true : undefined;
      },
      30_000,
      'pdf mergeable',
    );
    await stack.gh.rest.pulls.merge({
      owner: stack.owner,
      repo: stack.repo,
      pull_number: pdfRun.pullRequestNumber ?? 0,
      merge_method: 'squash',
    });

    const status = await statusShowing(stack, queue, 'no longer updates this pull request', 30_000);
    expect(status).toContain(`${stack.owner} pushed to its branch ("Document the queue")`);
    expect(status).toContain('/agent retry');
    const { data: pull } = await stack.gh.rest.pulls.get({
      owner: stack.owner,
      repo: stack.repo,
      pull_number: queueRun.pullRequestNumber ?? 0,
    });
    expect(pull.body).toContain('no longer updates this pull request');
    // Untouched: the person's commit is still the head, and no repair run started.
    const { data: after } = await stack.gh.rest.git.getRef({
      owner: stack.owner,
      repo: stack.repo,
      ref: `heads/${queueRun.branch}`,
    });
    expect(after.object.sha).toBe(before.object.sha);
    expect((await lastRun(stack, queue))?.id).toBe(queueRun.id);

    // `/agent plan` lists the open pull requests with what Switchyard says of each.
    await stack.gh.rest.issues.createComment({
      owner: stack.owner,
      repo: stack.repo,
      issue_number: queue,
      body: '/agent plan',
    });
    const plan = await eventually(
      async () => (await otherComments(stack, queue)).find((body) => body.includes('Open pull requests:')),
      30_000,
      'the plan reply',
    );
    expect(plan).toContain(
      `- #${queueRun.pullRequestNumber} (issue #${queue}): ⚠️ Switchyard no longer updates this pull request`,
    );
  });
});

describe('a stack of three on squash merges', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      concurrency: 3,
      agents,
      files: files('dependencies:\n  release: stacked\npullRequest:\n  unionMerge: [CHANGELOG.md]\n  maxRepairs: 0\n'),
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('retargets and restacks each child as its parent merges, ending with all three in main', async () => {
    const ledger = await openIssue(stack, 'Add a ledger', 'Module: ledger');
    const report = await openIssue(stack, 'Report on the ledger', `Module: report\n\nDepends on #${ledger}`);
    const totals = await openIssue(stack, 'Totals in the report', `Module: totals\n\nDepends on #${report}`);
    for (const issue of [ledger, report, totals]) await addLabel(stack, issue, 'agent:feature');
    await statusShowing(stack, totals, 'Succeeded', 120_000);
    const runs = await Promise.all([ledger, report, totals].map(async (i) => (await lastRun(stack, i)) as RunRecord));
    expect(runs.map((run) => run.baseBranch)).toEqual([null, runs[0]?.branch, runs[1]?.branch]);

    const maintainer: Maintainer = { merged: [] };
    await mergeWhatMerges(stack, [ledger, report, totals], maintainer, 120_000);
    expect(maintainer.merged).toEqual([ledger, report, totals]);

    expect(await fileOn(stack, 'src/index.ts')).toBe(index(['core', 'http', 'ledger', 'report', 'totals', 'util']));
    for (const module of ['ledger', 'report', 'totals'])
      expect(await fileOn(stack, `src/${module}.ts`)).toContain(module);
    const changelog = await fileOn(stack, 'CHANGELOG.md');
    for (const issue of [ledger, report, totals])
      expect(changelog.match(new RegExp(`\\(#${issue}\\)`, 'g'))).toHaveLength(1);
    // Each squash merge on main holds only its own issue's change: the children were restacked
    // onto their parent's base before they merged, not merged with their parent's commits in them.
    const { execa } = await import('execa');
    const log = await execa('git', [
      '--git-dir',
      join(stack.twin.dataDir, 'git', stack.owner, `${stack.repo}.git`),
      'log',
      '--first-parent',
      '--name-only',
      '--format=== %s',
      '-n',
      '3',
      'main',
    ]);
    const merges = log.stdout
      .split('== ')
      .filter(Boolean)
      .map((entry) => entry.trim().split('\n').filter(Boolean));
    for (const [module, issue] of [
      ['totals', totals],
      ['report', report],
      ['ledger', ledger],
    ] as const) {
      const merge = merges.find(([subject]) =>
        subject?.endsWith(`(#${String(runs.find((r) => r.issueNumber === issue)?.pullRequestNumber)})`),
      );
      expect(merge?.slice(1).sort()).toEqual(['CHANGELOG.md', 'src/index.ts', `src/${module}.ts`]);
    }
    await stack.twin.idle();
    expect(stack.twin.violations).toEqual([]);
  });

  it('hands a conflict it may not repair to a person once, with the command that retries it', async () => {
    const mail = await openIssue(stack, 'Add mail support', 'Module: mail');
    const media = await openIssue(stack, 'Add media support', 'Module: media');
    await addLabel(stack, mail, 'agent:feature');
    await addLabel(stack, media, 'agent:feature');
    await statusShowing(stack, mail, 'Succeeded', 60_000);
    await statusShowing(stack, media, 'Succeeded', 60_000);
    await mergeWhatMerges(stack, [mail], { merged: [] }, 30_000);

    const status = await statusShowing(stack, media, 'will not repair it', 30_000);
    expect(status).toContain('conflicts with `main` after #');
    expect(status).toContain('in `src/index.ts`');
    expect(status).toContain('the repository turned agent repairs off (`pullRequest.maxRepairs: 0`)');
    expect(status).toContain('`/agent retry`');
    const handedOff = (await lastRun(stack, media)) as RunRecord;
    expect(handedOff.mergeability?.action).toBe('handed-off');

    // The maintainer hands it back: the agent redoes it on the current main, in the same pull request.
    await stack.gh.rest.issues.createComment({
      owner: stack.owner,
      repo: stack.repo,
      issue_number: media,
      body: '/agent retry',
    });
    await statusShowing(stack, media, /attempt 2[\s\S]*Succeeded/, 60_000);
    await mergeWhatMerges(stack, [media], { merged: [] }, 30_000);
    expect((await lastRun(stack, media))?.pullRequestNumber).toBe(handedOff.pullRequestNumber);
    expect(await fileOn(stack, 'src/index.ts')).toBe(
      index(['core', 'http', 'ledger', 'mail', 'media', 'report', 'totals', 'util']),
    );
  });
});
