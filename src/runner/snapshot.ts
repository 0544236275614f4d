/**
 * The agent's result, read as files from the trusted side: a private index seeded from the base
 * commit, the worktree's files added to it (`.switchyard/` and ignored files left out by the
 * mirror's exclude file and the repository's `.gitignore`), workflow changes taken back out, and
 * a commit object built with `commit-tree` in the mirror. Nothing the agent wrote in `.git`, no
 * commit it made, no hook and no config of its own plays any part.
 */
import { rm } from 'node:fs/promises';
import type { GitIdentity } from './git.ts';
import { trustedGit } from './git.ts';

/**
 * Files a GitHub App can push only with the `workflows` permission, which Switchyard does not
 * ask for: a run's changes to them are left out of its commit.
 */
export const REFUSED_PREFIX = '.github/workflows/';

export interface SnapshotOptions {
  mirror: string;
  worktree: string;
  /** Where the private index lives: a folder of the run's own that no agent can reach. */
  indexFile: string;
  baseSha: string;
  identity: GitIdentity;
  message: string;
}

export interface Snapshot {
  /** The new commit, when anything changed besides refused paths. */
  commitSha: string | undefined;
  /** Changed paths, as committed. */
  changed: string[];
  /** Changed paths left out: workflows. */
  refused: string[];
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
    await git.raw(['read-tree', options.baseSha]);
    await git.raw(['add', '--all', '--', '.']);
    const staged = (await git.raw(['diff', '--cached', '--name-only', '--no-renames', '-z', options.baseSha]))
      .split('\0')
      .filter(Boolean);
    const refused = staged.filter((path) => path.startsWith(REFUSED_PREFIX));
    if (refused.length > 0) await git.raw(['reset', '--quiet', options.baseSha, '--', REFUSED_PREFIX]);
    const changed = staged.filter((path) => !path.startsWith(REFUSED_PREFIX));
    if (changed.length === 0) return { commitSha: undefined, changed, refused };
    const tree = (await git.raw(['write-tree'])).trim();
    const commitSha = (await git.raw(['commit-tree', tree, '-p', options.baseSha, '-m', options.message])).trim();
    return { commitSha, changed, refused };
  } finally {
    await rm(options.indexFile, { force: true });
  }
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
