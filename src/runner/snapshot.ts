/**
 * The agent's result, read as files from the trusted side: a private index seeded from the base
 * commit, the worktree's files added to it (`.switchyard/` and ignored files left out by the
 * mirror's exclude file and the repository's `.gitignore`), workflow changes taken back out, and
 * a commit object built with `commit-tree` in the mirror. Nothing the agent wrote in `.git`, no
 * commit it made, no hook and no config of its own plays any part.
 */
import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitIdentity } from './git.ts';
import { trustedGit } from './git.ts';
import { restoreTrustedIndex } from './trusted-index.ts';

/**
 * Files a GitHub App can push only with the `workflows` permission, which Switchyard does not
 * ask for: a run's changes to them are left out of its commit.
 */
export const REFUSED_PREFIX = '.github/workflows/';

/** GitHub refuses a push with a file over 100 MiB, and warns about one over 50 MiB. */
export const GITHUB_FILE_LIMIT = 100 * 1024 ** 2;
export const GITHUB_FILE_WARNING = 50 * 1024 ** 2;

export interface SnapshotOptions {
  mirror: string;
  worktree: string;
  /** Where the private index lives: a folder of the run's own that no agent can reach. */
  indexFile: string;
  baseSha: string;
  identity: GitIdentity;
  message: string;
  /**
   * The index Switchyard kept when it checked out `baseSha` (see `keepTrustedIndex`): git then
   * hashes only the files whose stat changed. Without one, every file is read and hashed.
   */
  trustedIndex?: string | undefined;
}

export interface Snapshot {
  /** The new commit, when anything changed besides refused paths. */
  commitSha: string | undefined;
  /** Changed paths, as committed. */
  changed: string[];
  /** Changed paths left out: workflows. */
  refused: string[];
  /** Files left out for being over GitHub's file limit, with their sizes. */
  tooLarge: Array<{ path: string; bytes: number }>;
  /** Files committed that GitHub warns about (over 50 MiB). */
  large: Array<{ path: string; bytes: number }>;
}

export async function snapshot(options: SnapshotOptions): Promise<Snapshot> {
  const git = trustedGit({
    gitDir: options.mirror,
    workTree: options.worktree,
    indexFile: options.indexFile,
    identity: options.identity,
  });
  await rm(options.indexFile, { force: true });
  try {
    if (!(await restoreTrustedIndex(options.trustedIndex, options.indexFile)))
      await git.raw(['read-tree', options.baseSha]);
    // Sized before git reads them: a file GitHub would refuse is never hashed into the mirror.
    const { tooLarge, large } = await sizeUp(git, options.worktree);
    const excluded = tooLarge.map((file) => `:(exclude,literal)${file.path}`);
    await git.raw(['add', '--all', '--', '.', ...excluded]);
    const staged = (await git.raw(['diff', '--cached', '--name-only', '--no-renames', '-z', options.baseSha]))
      .split('\0')
      .filter(Boolean);
    const refused = staged.filter((path) => path.startsWith(REFUSED_PREFIX));
    if (refused.length > 0) await git.raw(['reset', '--quiet', options.baseSha, '--', REFUSED_PREFIX]);
    const changed = staged.filter((path) => !path.startsWith(REFUSED_PREFIX));
    if (changed.length === 0) return { commitSha: undefined, changed, refused, tooLarge, large };
    const tree = (await git.raw(['write-tree'])).trim();
    const commitSha = (await git.raw(['commit-tree', tree, '-p', options.baseSha, '-m', options.message])).trim();
    return { commitSha, changed, refused, tooLarge, large };
  } finally {
    await rm(options.indexFile, { force: true });
  }
}

/** The new and changed files of the worktree over GitHub's limit and over its warning size. */
async function sizeUp(
  git: ReturnType<typeof trustedGit>,
  worktree: string,
): Promise<Pick<Snapshot, 'tooLarge' | 'large'>> {
  const candidates = (await git.raw(['ls-files', '-z', '--others', '--modified', '--exclude-standard']))
    .split('\0')
    .filter(Boolean);
  const tooLarge: Snapshot['tooLarge'] = [];
  const large: Snapshot['large'] = [];
  for (const path of candidates) {
    const stats = await lstat(join(worktree, path)).catch(() => undefined);
    if (!stats?.isFile()) continue;
    if (stats.size > GITHUB_FILE_LIMIT) tooLarge.push({ path, bytes: stats.size });
    else if (stats.size > GITHUB_FILE_WARNING) large.push({ path, bytes: stats.size });
  }
  return { tooLarge, large };
}

const mib = (value: number) => `${(value / 1024 ** 2).toFixed(1)} MiB`;

/** What the status comment and the pull request say of files over GitHub's sizes. */
export function largeFilesMessage(
  tooLarge: Snapshot['tooLarge'],
  large: Snapshot['large'],
  nothingElse: boolean,
): string {
  const list = (files: Snapshot['tooLarge']) =>
    files
      .slice(0, 10)
      .map((file) => `\`${file.path}\` (${mib(file.bytes)})`)
      .join(', ');
  const parts: string[] = [];
  if (tooLarge.length > 0)
    parts.push(
      `${nothingElse ? 'The agent changed only files GitHub refuses' : 'Left out of the commit'}: ${list(tooLarge)}. GitHub refuses files over 100 MiB in a push; track such files with Git LFS (https://docs.github.com/repositories/working-with-files/managing-large-files).`,
    );
  if (large.length > 0) parts.push(`GitHub warns about files over 50 MiB: ${list(large)}; consider Git LFS for them.`);
  return parts.join(' ');
}

export function refusedMessage(paths: readonly string[], nothingElse: boolean): string {
  const list =
    paths
      .slice(0, 10)
      .map((p) => `\`${p}\``)
      .join(', ') + (paths.length > 10 ? ` and ${paths.length - 10} more` : '');
  const why =
    'a GitHub App needs the extra `workflows` permission to push them, and Switchyard does not ask for it. Change workflows by hand.';
  return nothingElse
    ? `The agent changed only files under \`${REFUSED_PREFIX}\` (${list}); they were not pushed: ${why}`
    : `Changes to ${list} were left out: ${why}`;
}
