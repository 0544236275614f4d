/**
 * The secret guard on a real repository: it finds Switchyard's secrets in added lines, in a file
 * name, deep inside a large binary file with no line breaks (across the window it reads in), and
 * leaves alone the same text removed or a secret of the repository's own.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../src/log/redact.ts';
import { pathHoldingSecret } from '../../src/runner/secret-guard.ts';

const token = `ghs_${'k'.repeat(8)}0123456789abcdefghijklmnop`;
const redactor = new Redactor([token]);
let work: string;
let gitDir: string;

const git = async (...args: string[]) =>
  (
    await execa('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@x', ...args], {
      cwd: work,
      stripFinalNewline: true,
    })
  ).stdout;

async function commitFiles(files: Record<string, string | Buffer>, message: string): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(work, path)), { recursive: true });
    await writeFile(join(work, path), content);
  }
  await git('add', '-A');
  await git('commit', '-qm', message);
  return git('rev-parse', 'HEAD');
}

let base: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'switchyard-secret-guard-'));
  gitDir = join(work, '.git');
  await git('init', '-q', '-b', 'main');
  base = await commitFiles({ 'README.md': '# project\n', 'old.txt': `kept ${token}\n` }, 'base');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('pathHoldingSecret', () => {
  it('names the file whose added line holds a secret, not one that only removes it', async () => {
    await git('checkout', '-q', '-b', 'added', base);
    const removed = await commitFiles({ 'old.txt': 'kept nothing\n' }, 'remove');
    expect(await pathHoldingSecret(gitDir, base, removed, redactor)).toBeUndefined();
    const added = await commitFiles({ 'src/config.ts': `export const token = '${token}';\n` }, 'add');
    expect(await pathHoldingSecret(gitDir, removed, added, redactor)).toBe('src/config.ts');
  });

  it('finds a secret deep in a 24 MiB binary file with no line break, across the window it reads in', async () => {
    await git('checkout', '-q', '-b', 'binary', base);
    const noise = Buffer.from(randomBytes(24 * 1024 ** 2).map((byte) => (byte === 10 ? 11 : byte)));
    // Just before the 1 MiB window ends, so it is cut in two by the first look.
    const at = 1024 * 1024 - 10;
    const blob = Buffer.concat([noise.subarray(0, at), Buffer.from(token), noise.subarray(at)]);
    const head = await commitFiles({ 'assets/model.bin': blob }, 'binary');
    expect(await pathHoldingSecret(gitDir, base, head, redactor)).toBe('assets/model.bin');
    const clean = await commitFiles({ 'assets/model.bin': noise }, 'clean binary');
    expect(await pathHoldingSecret(gitDir, head, clean, redactor)).toBeUndefined();
  });

  it('finds a secret in a file name, and none in a repository secret of its own', async () => {
    await git('checkout', '-q', '-b', 'names', base);
    const named = await commitFiles({ [`leak-${token}.txt`]: 'x\n' }, 'name');
    expect(await pathHoldingSecret(gitDir, base, named, redactor)).toContain('leak-');
    await git('checkout', '-q', '-b', 'own', base);
    const own = await commitFiles({ 'test/fixture.env': `TOKEN=ghs_${'z'.repeat(36)}\n` }, 'own');
    expect(await pathHoldingSecret(gitDir, base, own, redactor)).toBeUndefined();
  });
});
