/**
 * A worktree's index as Switchyard's own git wrote it right after a checkout, kept where no agent
 * can reach it. Its stat data stays valid for the files nobody touched: an agent can set a file's
 * mtime but never its ctime or inode, so git's stat check still finds every file it changed,
 * and a reset or snapshot reads and hashes only those instead of the whole repository.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { mustRun, toolEnvironment } from './spawner.ts';

/**
 * Copies an index with its timestamps to the nanosecond (coreutils `cp`): git's racy-entry check
 * compares each entry's time with the index file's own, so a copy must not look newer.
 */
async function copyIndex(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await mustRun('cp', ['--preserve=timestamps', '--no-dereference', '--', from, to], { env: toolEnvironment() });
}

/**
 * Keeps the index of the worktree whose administrative folder is `adminDir` at `trusted`: call
 * it right after Switchyard's own checkout, before any agent runs there.
 */
export async function keepTrustedIndex(adminDir: string, trusted: string): Promise<void> {
  await copyIndex(join(adminDir, 'index'), trusted);
}

/** Puts the trusted index at `to`; false when there is none to put. */
export async function restoreTrustedIndex(trusted: string | undefined, to: string): Promise<boolean> {
  if (!trusted || !existsSync(trusted)) return false;
  await rm(to, { force: true });
  await copyIndex(trusted, to);
  return true;
}
