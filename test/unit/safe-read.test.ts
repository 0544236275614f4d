import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInside } from '../../src/runner/safe-read.ts';

describe('readInside', () => {
  let root: string;
  let outside: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'switchyard-safe-read-'));
    outside = await mkdtemp(join(tmpdir(), 'switchyard-outside-'));
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await mkdir(join(root, '.switchyard'));
    await writeFile(join(root, '.switchyard', 'summary.md'), 'the summary');
    await symlink(join(outside, 'secret.txt'), join(root, 'linked.md'));
    await symlink(outside, join(root, 'linked-dir'));
    await mkdir(join(root, 'a-folder'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('reads a regular file inside the root, up to a limit', async () => {
    expect((await readInside(root, join(root, '.switchyard', 'summary.md')))?.toString()).toBe('the summary');
    expect((await readInside(root, join(root, '.switchyard', 'summary.md'), 3))?.toString()).toBe('the ');
  });

  it('follows no link an agent planted, and reads no folder', async () => {
    expect(await readInside(root, join(root, 'linked.md'))).toBeUndefined();
    expect(await readInside(root, join(root, 'linked-dir', 'secret.txt'))).toBeUndefined();
    expect(await readInside(root, join(root, 'a-folder'))).toBeUndefined();
    expect(await readInside(root, join(root, 'missing.md'))).toBeUndefined();
  });
});
