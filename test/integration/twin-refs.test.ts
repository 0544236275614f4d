/**
 * The twin reads branches from a bare repository's ref files instead of asking git: what it reads
 * must be what git itself answers, for loose and packed refs, nested names, a ref packed and then
 * moved loose again, and a deleted one; and where the files cannot tell (a symbolic ref, a name no
 * branch can have), it says so and the twin asks git.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBranch, readBranches } from '@switchyard/github-twin/refs';

let root: string;
let bare: string;
const shas: string[] = [];

const git = async (...args: string[]) => (await execa('git', args, { cwd: root })).stdout.trim();
const bareGit = (...args: string[]) => git('--git-dir', bare, ...args);

async function gitsBranches(): Promise<Map<string, string>> {
  const out = await bareGit('for-each-ref', '--format=%(refname:lstrip=2) %(objectname)', 'refs/heads');
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'twin-refs-'));
  bare = join(root, 'repo.git');
  await git('init', '--quiet', '--bare', bare);
  await git('init', '--quiet', 'work');
  for (const n of [1, 2, 3]) {
    await writeFile(join(root, 'work', 'file.txt'), `${n}\n`);
    await execa('git', ['add', '.'], { cwd: join(root, 'work') });
    await execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', `c${n}`], {
      cwd: join(root, 'work'),
    });
    shas.push((await execa('git', ['rev-parse', 'HEAD'], { cwd: join(root, 'work') })).stdout.trim());
  }
  await execa('git', ['push', '--quiet', bare, 'HEAD:refs/heads/seed'], { cwd: join(root, 'work') });
  await bareGit('update-ref', '-d', 'refs/heads/seed');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('branches read from ref files', () => {
  it('match what git answers for loose, packed, nested, re-loosened and deleted branches', async () => {
    const [one, two, three] = shas as [string, string, string];
    await bareGit('update-ref', 'refs/heads/main', one);
    await bareGit('update-ref', 'refs/heads/agent/issue-7', two);
    await bareGit('update-ref', 'refs/heads/gone', two);
    await bareGit('update-ref', 'refs/tags/v1', one);
    await bareGit('pack-refs', '--all');
    // Loose again over a packed line, as after a push to a packed branch.
    await bareGit('update-ref', 'refs/heads/main', three);
    await bareGit('update-ref', 'refs/heads/agent/deep/issue-8', three);
    // Deleting a packed branch rewrites packed-refs.
    await bareGit('update-ref', '-d', 'refs/heads/gone');

    expect(await readBranches(bare)).toEqual(await gitsBranches());
    expect([...((await readBranches(bare)) ?? new Map()).keys()]).toEqual([...(await gitsBranches()).keys()]);
    expect(await readBranch(bare, 'main')).toBe(three);
    expect(await readBranch(bare, 'agent/issue-7')).toBe(two);
    expect(await readBranch(bare, 'agent/deep/issue-8')).toBe(three);
    expect(await readBranch(bare, 'gone')).toBeUndefined();
    expect(await readBranch(bare, 'v1')).toBeUndefined();
    expect(await readBranch(bare, 'agent')).toBeUndefined();
  });

  it('leave to git what the files cannot tell: a symbolic ref, a name that leaves refs/heads', async () => {
    await bareGit('symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
    expect(await readBranch(bare, 'alias')).toBeNull();
    expect(await readBranches(bare)).toBeNull();
    await bareGit('symbolic-ref', '--delete', 'refs/heads/alias');

    for (const name of ['../../HEAD', '../tags/v1', 'a//b', '.hidden', 'x.lock', 'main^{tree}', 'a b', '']) {
      expect(await readBranch(bare, name), name).toBeNull();
    }
    expect(await readBranches(bare)).toEqual(await gitsBranches());
  });
});
