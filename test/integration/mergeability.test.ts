/** Mergeability in a real bare mirror: checks, replays (union merges included), restacks and collisions. */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseChangesSince,
  changeSummary,
  checkMerge,
  collisions,
  pullRequestOfSubject,
  replayCommit,
  type MirrorGit,
} from '../../src/runner/mergeability.ts';

const identity = { name: 'Switchyard', email: 'switchyard@example.invalid' };
let root: string;
let work: string;
let mirror: MirrorGit;

const git = async (...args: string[]) =>
  (
    await execa('git', args, {
      cwd: work,
      env: {
        GIT_AUTHOR_NAME: 'Dev',
        GIT_AUTHOR_EMAIL: 'dev@x',
        GIT_COMMITTER_NAME: 'Dev',
        GIT_COMMITTER_EMAIL: 'dev@x',
      },
    })
  ).stdout.trim();

async function commit(files: Record<string, string>, message: string): Promise<string> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(work, path)), { recursive: true });
    await writeFile(join(work, path), text);
  }
  await git('add', '-A');
  await git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
}

const INDEX = (names: string[]) => names.map((n) => `export * from './${n}.js';\n`).join('');
const CHANGELOG = (entries: string[]) =>
  `# Changelog\n\n## Unreleased\n\n${entries.map((e) => `- ${e}\n`).join('')}\n## 1.0.0\n\n- First release.\n`;

/** A feature branch from `base`: its own module, plus an index line and a changelog entry. */
async function feature(base: string, name: string, index: string[], changelog: string[]): Promise<string> {
  await git('checkout', '-q', '--detach', base);
  return commit(
    {
      [`src/${name}.ts`]: `export const ${name} = true;\n`,
      'src/index.ts': INDEX(index),
      'CHANGELOG.md': CHANGELOG(changelog),
    },
    `Add ${name}`,
  );
}

const show = async (sha: string, path: string) =>
  (await execa('git', ['--git-dir', mirror.gitDir, 'show', `${sha}:${path}`])).stdout;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'switchyard-merge-'));
  work = join(root, 'work');
  await execa('git', ['init', '-q', '-b', 'main', work]);
  mirror = { gitDir: join(work, '.git'), privateDir: join(root, 'private') };
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('mergeability in the mirror', () => {
  let base: string;
  let a: string;
  let b: string;
  let mainAfterA: string;

  it('finds two siblings clean, then one conflicting once the other merged, in the files both changed', async () => {
    base = await commit({ 'src/index.ts': INDEX(['core']), 'CHANGELOG.md': CHANGELOG([]), 'src/core.ts': '' }, 'Base');
    a = await feature(base, 'alpha', ['core', 'alpha'], ['Alpha.']);
    b = await feature(base, 'beta', ['core', 'beta'], ['Beta.']);
    expect(await checkMerge(mirror, base, a)).toEqual({ state: 'clean', files: [] });
    // alpha squash-merged
    await git('checkout', '-q', '--detach', base);
    await git('merge', '-q', '--squash', a);
    await git('commit', '-q', '-m', 'Add alpha (#12)');
    mainAfterA = await git('rev-parse', 'HEAD');
    const check = await checkMerge(mirror, mainAfterA, b);
    expect(check.state).toBe('conflicting');
    expect(check.files.sort()).toEqual(['CHANGELOG.md', 'src/index.ts']);
    expect((await baseChangesSince(mirror, `${b}^1`, mainAfterA, ['src/index.ts']))[0]?.pullRequest).toBe(12);
  });

  it('predicts the collision of two open siblings before either merges', async () => {
    const found = await collisions(mirror, [
      { number: 12, sha: a },
      { number: 13, sha: b },
    ]);
    expect(found).toEqual([{ a: 12, b: 13, files: expect.arrayContaining(['CHANGELOG.md', 'src/index.ts']) }]);
  });

  it('refuses to answer for a commit the mirror does not hold, rather than call it mergeable', async () => {
    // Another worker's run pushed it: git merge-tree exits 1 for it, as for a conflict.
    const elsewhere = 'e'.repeat(40);
    await expect(checkMerge(mirror, base, elsewhere)).rejects.toThrow(/merge-tree failed/);
    await expect(
      collisions(mirror, [
        { number: 12, sha: a },
        { number: 14, sha: elsewhere },
      ]),
    ).rejects.toThrow(/merge-tree failed/);
  });

  it('replays a commit whose conflict is only in a union-merged file, keeping both entries', async () => {
    // beta's index line goes elsewhere: only the changelog collides.
    const c = await feature(base, 'gamma', ['gamma', 'core'], ['Gamma.']);
    const refused = await replayCommit(mirror, { head: c, onto: mainAfterA, unionMerge: [], identity });
    expect(refused).toEqual({ sha: undefined, conflicts: ['CHANGELOG.md'] });
    const replay = await replayCommit(mirror, { head: c, onto: mainAfterA, unionMerge: ['CHANGELOG.md'], identity });
    expect(replay.sha).toMatch(/^[0-9a-f]{40}$/);
    const sha = replay.sha ?? '';
    expect(await show(sha, 'CHANGELOG.md')).toContain('- Alpha.\n- Gamma.\n');
    expect(await show(sha, 'src/index.ts')).toBe(INDEX(['gamma', 'core', 'alpha']).trimEnd());
    expect(await checkMerge(mirror, mainAfterA, sha)).toEqual({ state: 'clean', files: [] });
    // One commit on the new base, with the run's message and author; the change to its own module is the same.
    expect(await git('rev-parse', `${sha}^1`)).toBe(mainAfterA);
    expect(await git('log', '-1', '--format=%s|%an|%cn', sha)).toBe('Add gamma|Dev|Switchyard');
    // The same lines are added, next to alpha's now.
    expect(await changeSummary(mirror, c, sha)).toBe('the change itself is the same');
  });

  it('restacks only a child’s own change once its parent was squash-merged', async () => {
    const parent = await feature(base, 'delta', ['core', 'delta'], ['Delta.']);
    await git('checkout', '-q', '--detach', parent);
    const child = await commit(
      { 'src/delta.ts': 'export const delta = "child";\n', 'src/extra.ts': 'x\n' },
      'Extend delta',
    );
    // The parent lands as one squashed commit on a base that moved meanwhile (alpha).
    await git('checkout', '-q', '--detach', mainAfterA);
    await execa('git', ['cherry-pick', '--strategy-option=theirs', parent], { cwd: work, reject: false });
    await git('checkout', '-q', '--theirs', '--', '.');
    await git('add', '-A');
    await git('-c', 'core.editor=true', 'commit', '-q', '--allow-empty', '-m', 'Add delta (#14)');
    const squashed = await git('rev-parse', 'HEAD');
    const replay = await replayCommit(mirror, { head: child, onto: squashed, unionMerge: [], identity });
    const sha = replay.sha ?? '';
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await git('rev-parse', `${sha}^1`)).toBe(squashed);
    // Only the child's two files differ from the new base: the parent's changes are not replayed twice.
    expect((await git('diff', '--name-only', squashed, sha)).split('\n').sort()).toEqual([
      'src/delta.ts',
      'src/extra.ts',
    ]);
    expect(await changeSummary(mirror, child, sha)).toBe('the change itself is the same');
    // A replay that resolved differently says where.
    const other = await feature(base, 'epsilon', ['core', 'epsilon'], ['Epsilon.']);
    expect(await changeSummary(mirror, other, b)).toBe(
      'the change differs in `CHANGELOG.md`, `src/beta.ts`, `src/epsilon.ts`, `src/index.ts`',
    );
  });

  it('reads pull request numbers from the subjects GitHub gives merges and squashes', () => {
    expect(pullRequestOfSubject('Merge pull request #7 from octo/agent/7-x')).toBe(7);
    expect(pullRequestOfSubject('Add a thing (#31)')).toBe(31);
    expect(pullRequestOfSubject('Fix #31 in passing')).toBeUndefined();
  });
});
