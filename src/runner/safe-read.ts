/**
 * Reading a file an agent could have planted: a worktree's `.switchyard/summary.md`, its
 * `AGENTS.md`. Switchyard reads with more rights than the agent, so a symlink to `/etc/shadow`
 * or to another run's log must not be followed: the file must be a regular file inside `root`.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { dirname, relative, isAbsolute } from 'node:path';

/** The first `maxBytes` of `path`, or undefined when it is missing, not a regular file, or reached through a link out of `root`. */
export async function readInside(root: string, path: string, maxBytes = 1024 * 1024): Promise<Buffer | undefined> {
  try {
    const [realRoot, realDir] = await Promise.all([realpath(root), realpath(dirname(path))]);
    const inside = relative(realRoot, realDir);
    if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      if (!(await handle.stat()).isFile()) return undefined;
      const buffer = Buffer.alloc(maxBytes + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
