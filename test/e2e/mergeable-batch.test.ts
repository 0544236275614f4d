/**
 * A batch that merges: parallel feature runs that all edit the package's index and changelog are
 * merged one by one by a maintainer who only clicks "merge", a stack of three is merged from the
 * bottom on squash merges, and a pull request a person pushed to is left alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/domain/run.ts';
import type { AgentCatalogue } from '../../src/config/agents.ts';
import { pushFiles } from '../support/git.ts';
import { addLabel, eventually, lastRun, openIssue, startStack, statusShowing, type Stack } from '../support/stack.ts';

/**
 * Feature work as an agent does it: the issue's module, its line in the sorted index, and an
 * entry at the top of the changelog's "Unreleased" section. Redone from scratch on a repair.
 */
const FEATURE_AGENT = [
  'set -e',
  `m=$(printf '%s\\n' "$SWITCHYARD_ISSUE_BODY" | sed -n 's/^Module: *\\([a-z]*\\).*/\\1/p' | head -n 1)`,
  `printf 'export const %s = () => "%s";\\n' "$m" "$m" > "src/$m.ts"`,
  `{ cat src/index.ts; printf "export * from './%s.js';\\n" "$m"; } | LC_ALL=C sort -u > .index && mv .index src/index.ts`,
  `awk -v entry="- Add the $m module (#$SWITCHYARD_ISSUE_NUMBER)." '{ print } /^## Unreleased/ { getline; print; print entry }' CHANGELOG.md > .changelog && mv .changelog CHANGELOG.md`,
  'sleep 1',
].join('\n');

const agents: AgentCatalogue = {
  feature: { kind: 'command', command: ['sh', '-c', FEATURE_AGENT], timeout: 60_000, passEnv: [], env: {} },
};

const index = (modules: string[]) => modules.map((m) => `export * from './${m}.js';\n`).join('');

/** The project's own test: every module the index names exists. */
const CHECK_INDEX = [
  'set -e',
  `for m in $(sed -n "s/^export \\* from '.\\/\\(.*\\)\\.js';$/\\1/p" src/index.ts); do test -f "src/$m.ts"; done`,
  'LC_ALL=C sort -c src/index.ts',
].join('\n');

const files = (config: string) => ({
  '.github/switchyard.yml': config,
  'src/index.ts': index(['core', 'http', 'util']),
  'src/core.ts': 'export const core = 1;\n',
  'src/http.ts': 'export const http = 1;\n',
  'src/util.ts': 'export const util = 1;\n',
  'scripts/check-index.sh': `${CHECK_INDEX}\n`,
  'CHANGELOG.md': '# Changelog\n\n## Unreleased\n\n## 1.0.0\n\n- First release.\n',
});

async function fileOn(stack: Stack, path: string, ref = 'main'): Promise<string> {
  const { data } = await stack.gh.rest.repos.getContent({ owner: stack.owner, repo: stack.repo, path, ref });
  return 'content' in data ? Buffer.from(data.content, 'base64').toString() : '';
}

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
  });
});

describe('a stack of three on squash merges', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      concurrency: 3,
      agents,
      files: files('dependencies:\n  release: stacked\npullRequest:\n  unionMerge: [CHANGELOG.md]\n'),
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
    // Each child says what happened to it.
    const restacked = await Promise.all([report, totals].map(async (i) => (await lastRun(stack, i))?.mergeability));
    for (const mergeability of restacked) expect(mergeability?.action).toBe('restacked');
    await stack.twin.idle();
    expect(stack.twin.violations).toEqual([]);
  });
});
