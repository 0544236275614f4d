/**
 * Mergeability in the mirror, from the trusted side: whether a pull request's head merges into
 * its base (`git merge-tree --write-tree`, the question GitHub answers lazily), which open heads
 * collide with each other, and a replay of a run's own commit onto a new base as a three-way
 * merge whose merge base is that commit's parent: only the run's change moves, never the
 * commits below it (a stacked parent's, squashed into the base since).
 *
 * Nothing here touches a worktree: merge-tree works on objects, and the commits it leaves are
 * pushed by the caller.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { MergeState } from '../domain/mergeability.ts';
import { trustedEnvironment, type GitIdentity } from './git.ts';
import { runCommand } from './spawner.ts';

export interface MergeCheck {
  state: MergeState;
  /** The files that conflict, when it conflicts. */
  files: string[];
}

export interface MirrorGit {
  /** The mirror's git directory. */
  gitDir: string;
  /** Where Switchyard keeps attributes files of its own (outside every worktree). */
  privateDir: string;
}

async function git(mirror: MirrorGit, args: string[], extraConfig: string[] = []) {
  const config = extraConfig.flatMap((setting) => ['-c', setting]);
  const result = await runCommand('git', [...config, ...args], { env: trustedEnvironment({ gitDir: mirror.gitDir }) });
  return {
    exitCode: result.exitCode,
    stdout: result.stdout.replace(/\n$/, ''),
    stderr: result.stderr.replace(/\n$/, ''),
  };
}

async function must(mirror: MirrorGit, args: string[]): Promise<string> {
  const result = await git(mirror, args);
  if (result.exitCode !== 0) throw new Error(`git ${args[0] ?? ''} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** The commit a ref or sha names in the mirror, or `undefined`. */
export async function commitOf(mirror: MirrorGit, ref: string): Promise<string | undefined> {
  const result = await git(mirror, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * A three-way merge of `a` and `b` in memory: its tree, or the conflicting files. `mergeBase`
 * fixes the merge base (git 2.39 has no `--merge-base`: a commit made for the purpose whose
 * only common ancestor with `b` that matters is `mergeBase` stands in for `a`).
 */
async function mergeTrees(
  mirror: MirrorGit,
  a: string,
  b: string,
  attributesFile?: string,
): Promise<{ tree: string; conflicts: string[] }> {
  const result = await git(
    mirror,
    ['merge-tree', '--write-tree', '--name-only', '--no-messages', a, b],
    attributesFile ? [`core.attributesFile=${attributesFile}`] : [],
  );
  const [tree = '', ...files] = result.stdout.split('\n').filter(Boolean);
  // A commit the mirror does not hold exits 1 as a conflict does, with no tree and no files.
  if ((result.exitCode !== 0 && result.exitCode !== 1) || !/^[0-9a-f]{40,64}$/.test(tree)) {
    throw new Error(`git merge-tree failed: ${result.stderr || result.stdout}`);
  }
  return { tree, conflicts: result.exitCode === 1 ? files : [] };
}

/** Whether `head` merges cleanly into `base`, and whether `base` is already part of it (GitHub's `mergeable_state`). */
export async function checkMerge(mirror: MirrorGit, base: string, head: string): Promise<MergeCheck> {
  const { conflicts } = await mergeTrees(mirror, base, head);
  if (conflicts.length > 0) return { state: 'conflicting', files: conflicts };
  const ancestry = await git(mirror, ['merge-base', '--is-ancestor', base, head]);
  if (ancestry.exitCode !== 0 && ancestry.exitCode !== 1)
    throw new Error(`git merge-base failed: ${ancestry.stderr || ancestry.stdout}`);
  return { state: ancestry.exitCode === 0 ? 'clean' : 'behind', files: [] };
}

export interface ReplayOptions {
  /** The run's commit: one commit on top of the base the run started from. */
  head: string;
  /** Where it goes: the new base (a branch's new commit, or a stacked parent's base). */
  onto: string;
  /** Paths merged with git's union driver. */
  unionMerge: readonly string[];
  /** Committer of the replayed commit; the author stays the original's. */
  identity: GitIdentity;
}

export type Replay = { sha: string; conflicts: [] } | { sha: undefined; conflicts: string[] };

/**
 * The run's change (`head^..head`) replayed onto `onto`, three-way, as a commit with the
 * original message and author; or the files where that merge conflicts.
 */
export async function replayCommit(mirror: MirrorGit, options: ReplayOptions): Promise<Replay> {
  const parent = await must(mirror, ['rev-parse', '--verify', `${options.head}^1`]);
  const ontoTree = await must(mirror, ['rev-parse', '--verify', `${options.onto}^{tree}`]);
  // A stand-in for `onto` whose best common ancestor with `head` is `head^`: merge-tree then
  // merges `head^ → onto` with `head^ → head`, a cherry-pick.
  const standIn = await must(mirror, [
    '-c',
    'user.name=Switchyard',
    '-c',
    'user.email=switchyard@invalid',
    'commit-tree',
    ontoTree,
    '-p',
    parent,
    '-p',
    options.onto,
    '-m',
    'merge base stand-in',
  ]);
  const attributes = await attributesFileFor(mirror, options.unionMerge);
  const merged = await mergeTrees(mirror, standIn, options.head, attributes);
  if (merged.conflicts.length > 0) return { sha: undefined, conflicts: merged.conflicts };
  const original = await must(mirror, ['log', '-1', '--format=%an%x00%ae%x00%aI%x00%B', options.head]);
  const [authorName = '', authorEmail = '', authorDate = '', ...message] = original.split('\0');
  const result = await execa('git', ['commit-tree', merged.tree, '-p', options.onto, '-F', '-'], {
    env: {
      ...trustedEnvironment({ gitDir: mirror.gitDir, identity: options.identity }),
      GIT_AUTHOR_NAME: authorName,
      GIT_AUTHOR_EMAIL: authorEmail,
      GIT_AUTHOR_DATE: authorDate,
    },
    extendEnv: false,
    input: message.join('\0').trimEnd() + '\n',
  });
  return { sha: result.stdout.trim(), conflicts: [] };
}

/** An attributes file with `merge=union` for the given paths, kept by content in the private folder. */
async function attributesFileFor(mirror: MirrorGit, paths: readonly string[]): Promise<string | undefined> {
  if (paths.length === 0) return undefined;
  const text = paths.map((path) => `${path} merge=union\n`).join('');
  const file = join(mirror.privateDir, `union-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`);
  await mkdir(mirror.privateDir, { recursive: true });
  await writeFile(file, text);
  return file;
}

/** How many pairs of heads {@link collisions} remembers. */
const REMEMBERED_PAIRS = 20_000;
/**
 * What merging two commits conflicts in never changes: remembered by the pair (and the union
 * paths), so a pass checks only the pairs with a head that moved since the last one, not every
 * pair of a batch again on every push.
 */
const pairConflicts = new Map<string, string[]>();

/**
 * Pairs of heads that conflict with each other, even with the union merges a replay would use:
 * the conflict that the next merge of either would leave to an agent.
 */
export async function collisions(
  mirror: MirrorGit,
  heads: ReadonlyArray<{ number: number; sha: string }>,
  unionMerge: readonly string[] = [],
): Promise<Array<{ a: number; b: number; files: string[] }>> {
  const attributes = await attributesFileFor(mirror, unionMerge);
  const found: Array<{ a: number; b: number; files: string[] }> = [];
  for (const [i, a] of heads.entries()) {
    for (const b of heads.slice(i + 1)) {
      const key = `${[a.sha, b.sha].sort().join(':')}:${attributes ?? ''}`;
      let conflicts = pairConflicts.get(key);
      if (!conflicts) {
        conflicts = (await mergeTrees(mirror, a.sha, b.sha, attributes)).conflicts;
        if (pairConflicts.size >= REMEMBERED_PAIRS) pairConflicts.delete(pairConflicts.keys().next().value ?? '');
        pairConflicts.set(key, conflicts);
      }
      if (conflicts.length > 0) found.push({ a: a.number, b: b.number, files: conflicts });
    }
  }
  return found;
}

export interface BaseChange {
  sha: string;
  subject: string;
  /** The pull request the commit came from, as GitHub titles merges and squashes. */
  pullRequest: number | undefined;
}

/** The pull request number GitHub puts in a merge (`Merge pull request #12 …`) or squash (`… (#12)`) subject. */
export function pullRequestOfSubject(subject: string): number | undefined {
  const match = /^Merge pull request #(\d+)\b/.exec(subject) ?? /\(#(\d+)\)\s*$/.exec(subject);
  return match ? Number(match[1]) : undefined;
}

/** The commits that reached `base` since `since`, newest first, those touching `files` when given. */
export async function baseChangesSince(
  mirror: MirrorGit,
  since: string,
  base: string,
  files: readonly string[] = [],
): Promise<BaseChange[]> {
  const out = await must(mirror, [
    'log',
    '--first-parent',
    '--format=%H%x00%s',
    '-n',
    '50',
    `${since}..${base}`,
    ...(files.length > 0 ? ['--', ...files] : []),
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha = '', subject = ''] = line.split('\0');
      return { sha, subject, pullRequest: pullRequestOfSubject(subject) };
    });
}

/**
 * What a replay did to a pull request's change, as a range-diff would tell it: the same patch,
 * or the files whose changes now differ.
 */
export async function changeSummary(mirror: MirrorGit, before: string, after: string): Promise<string> {
  const [old, now] = await Promise.all([patchIds(mirror, before), patchIds(mirror, after)]);
  const differing = [...new Set([...old.keys(), ...now.keys()])]
    .filter((path) => old.get(path) !== now.get(path))
    .sort();
  if (differing.length === 0) return 'the change itself is the same';
  const shown = differing.slice(0, 5).map((path) => `\`${path}\``);
  return `the change differs in ${shown.join(', ')}${differing.length > 5 ? ` and ${differing.length - 5} more` : ''}`;
}

/** Per file, a hash of the lines the commit adds and removes in it. */
async function patchIds(mirror: MirrorGit, commit: string): Promise<Map<string, string>> {
  const files = (await must(mirror, ['diff', '--name-only', '--no-renames', `${commit}^1`, commit]))
    .split('\n')
    .filter(Boolean);
  const ids = new Map<string, string>();
  for (const file of files) {
    const diff = await must(mirror, ['diff', '--no-renames', `${commit}^1`, commit, '--', file]);
    // Only the lines added and removed: the context and the line numbers move with the base.
    const changed = diff.split('\n').filter((line) => /^[+-](?![+-]{2} )/.test(line));
    ids.set(file, createHash('sha1').update(changed.join('\n')).digest('hex'));
  }
  return ids;
}

/** Author and subject of a commit, or `undefined` when the mirror lacks it. */
export async function describeCommit(
  mirror: MirrorGit,
  sha: string,
): Promise<{ author: string; subject: string } | undefined> {
  const result = await git(mirror, ['log', '-1', '--format=%an%x00%s', sha]);
  if (result.exitCode !== 0) return undefined;
  const [author = '', subject = ''] = result.stdout.split('\0');
  return { author, subject };
}

/** The run's own change (`head^..head`) as a diff, cut at `maxBytes`: a reference for an agent that redoes it. */
export async function previousDiff(mirror: MirrorGit, head: string, maxBytes = 20_000): Promise<string> {
  const diff = await must(mirror, ['diff', '--no-color', '--no-renames', `${head}^1`, head]);
  return diff.length > maxBytes ? `${diff.slice(0, maxBytes)}\n… (cut at ${maxBytes} bytes)` : diff;
}
