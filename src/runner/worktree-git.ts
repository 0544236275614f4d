/**
 * Git on a mirror and its worktrees from the trusted side: the mirror's config sealed as
 * Switchyard writes it, each worktree's git files written again before use (an agent controls its
 * worktree, \`.git\` included), the work a dead run left rescued, and a pooled worktree reset.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { trustedGit, type GitIdentity } from './git.ts';
import { snapshot } from './snapshot.ts';
import { keepTrustedIndex, restoreTrustedIndex } from './trusted-index.ts';

/** Files Switchyard writes into a worktree for the agent; never committed. */
export const SWITCHYARD_DIR = '.switchyard';

/** The whole config of a mirror: no remote, no hook, nothing an agent could have added. */
const MIRROR_CONFIG = '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n';

/** Who commits the work of an interrupted run. */
const RESCUER: GitIdentity = { name: 'switchyard[bot]', email: 'switchyard[bot]@users.noreply.github.com' };

/**
 * Puts back the mirror's config and exclude file as Switchyard writes them, and drops anything
 * that would make git read objects, hooks or settings from elsewhere. Written to a temporary
 * file and renamed, so a git process reading at the same time sees one whole file.
 */
export async function sealMirror(mirror: string): Promise<void> {
  const replace = async (path: string, text: string) => {
    await mkdir(dirname(path), { recursive: true });
    // A name of its own per write: several runs of one process seal the same mirror at once.
    const temporary = `${path}.switchyard-${process.pid}-${randomUUID()}`;
    await writeFile(temporary, text);
    await rename(temporary, path);
  };
  await replace(join(mirror, 'config'), MIRROR_CONFIG);
  await replace(join(mirror, 'info', 'exclude'), `/${SWITCHYARD_DIR}/\n`);
  // Hooks planted here would run in later runs' agents' own git, outside this run.
  await rm(join(mirror, 'hooks'), { recursive: true, force: true });
  await rm(join(mirror, 'objects', 'info', 'alternates'), { force: true });
  await rm(join(mirror, 'info', 'grafts'), { force: true });
  await rm(join(mirror, 'shallow'), { force: true });
}

/** Where git keeps a worktree's own files (HEAD, index): in the mirror, named after the worktree. */
export function adminDirOf(mirror: string, worktree: string): string {
  return join(mirror, 'worktrees', basename(worktree));
}

/**
 * A trusted git client on one worktree. First the links between the worktree and its folder in
 * the mirror are written again, whatever the agent made of them; the common directory is named
 * explicitly, so the folder's `commondir` is not read either.
 */
export async function worktreeGit(mirror: string, path: string) {
  const admin = adminDirOf(mirror, path);
  await mkdir(admin, { recursive: true });
  await replaceFile(join(path, '.git'), `gitdir: ${admin}\n`);
  await replaceFile(join(admin, 'gitdir'), `${join(path, '.git')}\n`);
  await replaceFile(join(admin, 'commondir'), '../..\n');
  await rm(join(admin, 'config.worktree'), { force: true });
  return trustedGit({ gitDir: admin, commonDir: mirror, workTree: path });
}

/** Writes a file anew: whatever was there (a symlink planted by an agent, a folder) is removed, never followed. */
export async function replaceFile(path: string, text: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  await writeFile(path, text, { flag: 'wx' });
}

/** Commits whatever an interrupted run left in its worktree onto its branch, so that the branch keeps it. */
export async function rescue(
  mirror: string,
  path: string,
  branch: string | undefined,
  scratch: string,
): Promise<string | undefined> {
  if (!branch || !existsSync(path)) return undefined;
  const git = trustedGit({ gitDir: mirror });
  try {
    const head = (await git.raw(['rev-parse', '--verify', `refs/heads/${branch}^{commit}`])).trim();
    await mkdir(scratch, { recursive: true });
    const result = await snapshot({
      mirror,
      worktree: path,
      indexFile: join(scratch, `rescue-${basename(path)}.index`),
      baseSha: head,
      identity: RESCUER,
      message: 'wip: work of an interrupted run, kept by Switchyard',
    });
    if (!result.commitSha) return undefined;
    await git.raw(['update-ref', `refs/heads/${branch}`, result.commitSha, head]);
    return result.commitSha;
  } catch {
    // Nothing to rescue from a worktree git cannot read.
    return undefined;
  }
}

/**
 * Everything back to `base`: tracked changes undone, untracked and ignored files gone but the
 * keep-list. With `trusted` (the index kept when `base` was checked out), only the files the
 * agent touched are written again; the agent's own index is never read either way.
 */
export async function resetWorktree(
  mirror: string,
  path: string,
  base: string,
  keep: readonly string[],
  trusted?: string,
): Promise<boolean> {
  const index = join(adminDirOf(mirror, path), 'index');
  await rm(index, { force: true });
  const git = await worktreeGit(mirror, path);
  const restored = await restoreTrustedIndex(trusted, index);
  // --force throws away every change to tracked files (what `reset --hard` would do as well).
  await git.raw(['checkout', '--quiet', '--force', '--detach', base]);
  await git.raw(['clean', '-ffdxq', ...keep.flatMap((k) => ['-e', k])]);
  await rm(join(path, SWITCHYARD_DIR), { recursive: true, force: true });
  // Whether or not it began from one, the index is now Switchyard's own, written by this checkout.
  if (trusted) await keepTrustedIndex(adminDirOf(mirror, path), trusted);
  return restored;
}

/** Deletes a local branch that holds no commit beyond what the remote already has. */
export async function deleteIfEmpty(git: ReturnType<typeof trustedGit>, branch: string): Promise<void> {
  const ahead = await git
    .raw(['rev-list', '--count', `refs/heads/${branch}`, '--not', '--remotes=origin'])
    .catch(() => '0');
  if (Number(ahead.trim()) === 0) await git.raw(['branch', '-D', branch]).catch(() => undefined);
}

/** Removes a worktree and git's record of it; a worktree git cannot remove is deleted and pruned. */
export async function removeWorktree(git: ReturnType<typeof trustedGit>, path: string): Promise<void> {
  try {
    // Forced twice, git removes a locked worktree as well.
    await git.raw(['worktree', 'remove', '--force', '--force', path]);
  } catch {
    // Prune leaves a locked worktree's record alone.
    await git.raw(['worktree', 'unlock', path]).catch(() => undefined);
    await rm(path, { recursive: true, force: true });
    await git.raw(['worktree', 'prune']);
  }
}

/** The worktrees git knows for `mirror`, with their branch and lock reason. */
export async function listWorktrees(
  mirror: string,
): Promise<Array<{ path: string; branch: string | undefined; lock: string | undefined }>> {
  if (!existsSync(join(mirror, 'HEAD'))) return [];
  const out = await trustedGit({ gitDir: mirror }).raw(['worktree', 'list', '--porcelain']);
  return out
    .split('\n\n')
    .map((block) => {
      const lines = block.split('\n');
      const path = lines.find((l) => l.startsWith('worktree '))?.slice('worktree '.length) ?? '';
      const branch = lines.find((l) => l.startsWith('branch '))?.slice('branch refs/heads/'.length);
      const lockLine = lines.find((l) => l === 'locked' || l.startsWith('locked '));
      return { path, branch, lock: lockLine === undefined ? undefined : lockLine.slice('locked'.length).trim() };
    })
    .filter((w) => w.path && w.path !== mirror && basename(w.path) !== basename(mirror));
}
