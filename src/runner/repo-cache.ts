/**
 * One bare mirror per repository, and the worktrees of runs made from it. Fetches and the crash
 * clean-up (`prune`) are serialized per repository (git does not lock them against each other),
 * and runs that wait for that lock together share one fetch; what a run does with its own worktree
 * (its checkout, reset and removal, its branch) and its push run in parallel.
 *
 * The mirror keeps the remote's branches under `refs/remotes/origin/*`, so a fetch with `--prune`
 * can never delete or move a branch that a live worktree has checked out. Every worktree is
 * locked with the pid of the process that owns it: a clean-up after a crash removes only
 * worktrees whose owner is gone.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import type { RepoRef } from '../domain/run.ts';
import { StepClock } from '../domain/steps.ts';
import { trustedGit } from './git.ts';
import type { MirrorGit } from './mergeability.ts';
import { listWorktrees, removeWorktree, resetWorktree, sealMirror } from './worktree-git.ts';
import { pruneOrphanWorktrees, type PrunedWorktree } from './orphan-worktrees.ts';
import { checkOutWorktree, type PreparedWorktree, type WorktreePlace } from './worktree-checkout.ts';

export { isAlive, type PrunedWorktree } from './orphan-worktrees.ts';

export { SWITCHYARD_DIR } from './worktree-git.ts';
export type { PreparedWorktree } from './worktree-checkout.ts';

export interface PrepareOptions {
  repo: RepoRef;
  token: string;
  runId: string;
  branch: string;
  base: string;
  /** A commit to check out instead of the base's tip (a pull request's head, which the run builds on). */
  startFrom?: string | undefined;
  /** Reuse up to this many clean worktrees (0: a fresh worktree per run). */
  poolSize?: number;
  /** Times the wait for the repository's lock, the fetch and the checkout. */
  clock?: StepClock;
}

export class RepoCache {
  readonly root: string;
  readonly #locks = new Map<string, LimitFunction>();
  /** Free pooled worktrees per repository. */
  readonly #free = new Map<string, string[]>();
  /** When the last fetch that succeeded began, per repository (`performance.now()`). */
  readonly #fetchStarted = new Map<string, number>();

  constructor(root: string) {
    this.root = root;
  }

  mirrorDir(repo: Pick<RepoRef, 'owner' | 'name'>): string {
    return join(this.root, 'mirrors', repo.owner, `${repo.name}.git`);
  }

  worktreeDir(repo: RepoRef, runId: string): string {
    return join(this.root, 'worktrees', repo.owner, repo.name, runId);
  }

  poolDir(repo: RepoRef): string {
    return join(this.root, 'pool', repo.owner, repo.name);
  }

  /** Where a worktree's trusted index is kept: in the data directory, which every sandbox covers. */
  trustedIndexOf(repo: Pick<RepoRef, 'owner' | 'name'>, worktree: string): string {
    return join(this.root, 'private', repo.owner, repo.name, 'index', basename(worktree));
  }

  /** Runs `work` while holding this repository's lock. */
  exclusive<T>(repo: Pick<RepoRef, 'fullName'>, work: () => Promise<T>): Promise<T> {
    let limit = this.#locks.get(repo.fullName);
    if (!limit) {
      limit = pLimit(1);
      this.#locks.set(repo.fullName, limit);
    }
    return limit(work);
  }

  /**
   * Brings the mirror up to date (creating it on first use) and provides a worktree for a run.
   * The lock is held for the fetch and for choosing the base and the worktree's folder; the
   * checkout itself (`worktree-checkout.ts`) runs outside it, alongside other runs' checkouts.
   */
  async prepare(options: PrepareOptions): Promise<PreparedWorktree> {
    const clock = options.clock ?? new StepClock();
    const asked = performance.now();
    const place = await this.exclusive(options.repo, async () => {
      clock.add('lock', performance.now() - asked);
      // A fetch that began after this run asked holds all it would fetch itself: runs of a batch
      // that wait for the lock together share one fetch.
      const fresh = (this.#fetchStarted.get(options.repo.fullName) ?? -Infinity) > asked;
      const mirror = fresh
        ? await sealMirror(this.mirrorDir(options.repo)).then(() => this.mirrorDir(options.repo))
        : await clock.time('fetch', () => this.#refresh(options.repo, options.token));
      return this.#placeWorktree(options, mirror);
    });
    const trustedIndex = this.trustedIndexOf(options.repo, place.path);
    return clock.time('worktree', () => checkOutWorktree(place, { ...options, trustedIndex }));
  }

  /**
   * The base commit and the folder of a run's worktree: a free pooled one, or a new folder, made
   * now so that the pool's count includes it. Hold the lock.
   */
  async #placeWorktree(options: PrepareOptions, mirror: string): Promise<WorktreePlace> {
    const { repo } = options;
    // No `worktree prune` per run: every worktree has a name of its own, and stale ones are
    // pruned at start-up (`pruneOrphans`).
    const start = options.startFrom ?? `refs/remotes/origin/${options.base}`;
    const baseSha = (
      await trustedGit({ gitDir: mirror }).raw(['rev-parse', '--verify', '--end-of-options', `${start}^{commit}`])
    ).trim();
    const poolSize = options.poolSize ?? 0;
    const free = this.#free.get(repo.fullName) ?? [];
    const reused = poolSize > 0 ? free.pop() : undefined;
    if (reused) return { mirror, baseSha, path: reused, pooled: true, reused: true };
    const pooled = poolSize > 0 && (await this.#poolCount(repo)) < poolSize;
    const path = pooled ? join(this.poolDir(repo), `slot-${options.runId}`) : this.worktreeDir(repo, options.runId);
    // git adds a worktree into an empty folder.
    await mkdir(path, { recursive: true });
    return { mirror, baseSha, path, pooled, reused: false };
  }

  /**
   * Brings the kept index's stat data up to date after Switchyard itself handed the worktree's
   * files to the sandbox account (a chown changes their ctime), before the agent starts: only
   * the files whose owner changed are read again.
   */
  async refreshTrustedIndex(repo: Pick<RepoRef, 'owner' | 'name'>, worktree: PreparedWorktree): Promise<void> {
    const git = trustedGit({
      gitDir: worktree.gitDir,
      commonDir: this.mirrorDir(repo),
      workTree: worktree.path,
      indexFile: worktree.trustedIndex,
    });
    // Nothing is modified yet, so nothing "needs update"; a refresh that fails leaves more to hash later.
    await git.raw(['update-index', '-q', '--refresh']).catch(() => undefined);
  }

  /**
   * Pushes one commit to one branch of the repository, by URL and full refspec, from the mirror
   * with Switchyard's own config: whatever an agent planted is never read.
   */
  async push(repo: RepoRef, token: string, sha: string, branch: string, expected?: string): Promise<void> {
    const mirror = this.mirrorDir(repo);
    await this.seal(repo);
    await trustedGit({ gitDir: mirror, token }).raw([
      'push',
      // A run that builds on the branch's head pushes only while the head is still that one: a person's push wins.
      expected ? `--force-with-lease=refs/heads/${branch}:${expected}` : '--force',
      '--quiet',
      '--no-verify',
      repo.cloneUrl,
      `${sha}:refs/heads/${branch}`,
    ]);
  }

  /**
   * Brings the mirror up to date (creating it on first use) and runs `work` on it while holding
   * the repository's lock: for the mergeability checks, which make objects but no worktree.
   */
  async withFreshMirror<T>(repo: RepoRef, token: string, work: (mirror: MirrorGit) => Promise<T>): Promise<T> {
    return this.exclusive(repo, async () => {
      const gitDir = await this.#refresh(repo, token);
      return work({ gitDir, privateDir: join(this.root, 'private', repo.owner, repo.name) });
    });
  }

  /**
   * Runs `work` on the mirror as it is, under the repository's lock: for a look that needs
   * nothing new from GitHub. Fails when there is no mirror yet.
   */
  async withMirror<T>(repo: RepoRef, work: (mirror: MirrorGit) => Promise<T>): Promise<T> {
    return this.exclusive(repo, async () => {
      const gitDir = this.mirrorDir(repo);
      if (!existsSync(join(gitDir, 'HEAD'))) throw new Error(`no mirror of ${repo.fullName} here yet`);
      return work({ gitDir, privateDir: join(this.root, 'private', repo.owner, repo.name) });
    });
  }

  /**
   * Pushes `sha` to `branch` only while the branch is still at `expected` (a lease): a person's
   * push in between is never overwritten. Call it inside {@link withFreshMirror}'s work.
   */
  async pushWithLease(repo: RepoRef, token: string, sha: string, branch: string, expected: string): Promise<void> {
    await this.push(repo, token, sha, branch, expected);
    // The stacked pull requests checked next in the same pass build on this new head.
    await trustedGit({ gitDir: this.mirrorDir(repo) }).raw(['update-ref', `refs/remotes/origin/${branch}`, sha]);
  }

  /** Puts the mirror's config back as Switchyard writes it: before git reads the work of an agent that could write it. */
  async seal(repo: Pick<RepoRef, 'owner' | 'name' | 'fullName'>): Promise<void> {
    // No lock: each file is replaced whole by a rename, so a git process reading it meanwhile sees one whole file.
    await sealMirror(this.mirrorDir(repo));
  }

  /** A trusted git client on the mirror, for reading commits. */
  mirrorGit(repo: Pick<RepoRef, 'owner' | 'name'>) {
    return trustedGit({ gitDir: this.mirrorDir(repo) });
  }

  /**
   * Gives a worktree back: a pooled one is cleaned (everything but the keep-list) and kept for
   * the next run; any other is removed. The run's local branch is deleted either way; the
   * pushed branch stays on the remote.
   */
  async release(
    repo: RepoRef,
    worktree: Pick<PreparedWorktree, 'path' | 'branch' | 'pooled' | 'baseSha' | 'trustedIndex'>,
    keep: readonly string[] = [],
  ): Promise<void> {
    // No lock: a worktree's own files, index and HEAD are its own, and deleting its (loose) branch
    // takes git's own lock on that one ref; the mirror's other worktrees are never touched.
    {
      const mirror = this.mirrorDir(repo);
      const git = trustedGit({ gitDir: mirror });
      if (worktree.pooled && existsSync(worktree.path)) {
        try {
          await resetWorktree(mirror, worktree.path, worktree.baseSha, keep, worktree.trustedIndex);
          await git.raw(['branch', '-D', worktree.branch]).catch(() => undefined);
          this.#makeFree(repo, worktree.path);
          return;
        } catch {
          // A worktree that cannot be cleaned is not reused.
        }
      }
      await removeWorktree(git, worktree.path);
      await rm(worktree.trustedIndex, { force: true });
      await git.raw(['branch', '-D', worktree.branch]).catch(() => undefined);
    }
  }

  /** Paths of the worktrees git knows for a repository's mirror, pooled ones included. */
  async worktrees(repo: Pick<RepoRef, 'owner' | 'name'>): Promise<string[]> {
    return (await listWorktrees(this.mirrorDir(repo))).map((w) => w.path);
  }

  /**
   * After a crash: for every mirror, worktrees whose owning process is gone are dealt with —
   * uncommitted work is committed to the run's branch (kept), a branch that never received a
   * commit is deleted, the worktree is removed (pooled ones are cleaned and kept). Worktrees of
   * live processes are not touched, nor any path outside Switchyard's own worktree folders (an
   * agent can rewrite where git thinks its worktree is). Returns the paths it cleaned up.
   */
  pruneOrphans(keep: readonly string[] = []): Promise<PrunedWorktree[]> {
    return pruneOrphanWorktrees(
      {
        root: this.root,
        exclusive: (repo, work) => this.exclusive(repo, work),
        trustedIndexOf: (repo, worktree) => this.trustedIndexOf(repo, worktree),
        makeFree: (repo, path) => this.#makeFree(repo, path),
      },
      keep,
    );
  }

  #makeFree(repo: Pick<RepoRef, 'fullName'>, path: string): void {
    this.#free.set(repo.fullName, [...(this.#free.get(repo.fullName) ?? []), path]);
  }

  async #poolCount(repo: RepoRef): Promise<number> {
    const dir = this.poolDir(repo);
    return existsSync(dir) ? (await readdir(dir)).length : 0;
  }

  /** The mirror, created on first use, sealed and fetched; hold the repository's lock. */
  async #refresh(repo: RepoRef, token: string): Promise<string> {
    const mirror = this.mirrorDir(repo);
    if (!existsSync(join(mirror, 'HEAD'))) await this.#createMirror(repo);
    await sealMirror(mirror);
    const started = performance.now();
    await trustedGit({ gitDir: mirror, token }).raw([
      'fetch',
      '--prune',
      '--no-tags',
      '--quiet',
      repo.cloneUrl,
      '+refs/heads/*:refs/remotes/origin/*',
    ]);
    this.#fetchStarted.set(repo.fullName, started);
    return mirror;
  }

  async #createMirror(repo: RepoRef): Promise<void> {
    const mirror = this.mirrorDir(repo);
    await mkdir(mirror, { recursive: true });
    await trustedGit({ gitDir: mirror }).raw(['init', '--bare', '--quiet']);
  }
}
