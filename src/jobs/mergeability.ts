/**
 * The mergeability job: after a branch of the repository moved (a merge, a push, a run that
 * opened its pull request), every open Switchyard pull request is checked against its base in
 * the worker's mirror — not through GitHub's lazy `mergeable` — and kept mergeable, cheapest
 * repair first. Four steps:
 *
 *   1. read the open pull requests as GitHub has them now (head, base, fate), and predict which
 *      of them collide with each other;
 *   2. retarget the stacked ones whose parent merged to the parent's base;
 *   3. check each against its base and repair it: leave it, replay its commit, re-run its agent
 *      (unless an older sibling it collides with is still open: its merge would undo the repair),
 *      or hand it to a person.
 *
 * A pull request a person pushed to, closed or merged is never touched; a hand-off is said once.
 * A pass that could find nothing new (no branch it reads moved) asks GitHub nothing at all.
 */
import type { MergeabilityJob } from '../domain/jobs.ts';
import { afterConflict, firstStep, listOfPulls, type Mergeability } from '../domain/mergeability.ts';
import { repoParams } from '../github/client.ts';
import { fileList, steadySaying, unionHint } from '../github/mergeability.ts';
import {
  baseChangesSince,
  changeSummary,
  checkMerge,
  commitOf,
  describeCommit,
  replayCommit,
  type MirrorGit,
} from '../runner/mergeability.ts';
import type { JobContext } from './context.ts';
import { olderCollidingSibling, predictCollisions } from './mergeability-collisions.ts';
import { nothingToFind } from './mergeability-quiet.ts';
import { record } from './mergeability-record.ts';
import { budgetSpent, repairContext, startRepair } from './mergeability-repair.ts';
import { readOpenPulls, type OpenPull, type Scope } from './mergeability-scope.ts';

export async function keepMergeable(job: MergeabilityJob, ctx: JobContext): Promise<void> {
  const cache = ctx.worker?.cache;
  if (!cache) throw new Error('the mergeability job needs a worker: its mirror is there');
  const runs = await ctx.store.openPullRequests(job.repo.fullName);
  if (runs.length === 0) return;
  // Taken before anything is read: a push seen after it is news to the next pass.
  const checkedAt = new Date().toISOString();
  if (await nothingToFind(job, runs, cache, checkedAt, ctx)) return;
  const octokit = await ctx.clientFor(job.installationId);
  const pulls = await readOpenPulls(runs, octokit, ctx);
  if (pulls.length === 0) return;
  const token = await ctx.tokenFor(job.installationId, job.repo.name);
  let scope: Scope | undefined;
  try {
    // The mirror's lock is held for git work only: the runs of the repository need it too.
    await cache.withFreshMirror(job.repo, token.token, async (mirror) => {
      scope = {
        job,
        ctx,
        octokit,
        cache,
        token: token.token,
        checkedAt,
        mirror,
        byBranch: new Map(pulls.map((pull) => [pull.run.branch, pull])),
        collisions: await predictCollisions(pulls, mirror),
        results: new Map(),
        repairs: [],
      };
      for (const pull of parentsFirst(pulls)) {
        const result = await keepOne(pull, scope);
        if (result) scope.results.set(pull.number, result);
      }
    });
  } finally {
    await token.revoke().catch(() => undefined);
  }
  if (!scope) return;
  for (const start of scope.repairs) await start();
  for (const pull of pulls) await record(pull, scope.results.get(pull.number), scope);
}

/** Stacked pull requests after the ones they build on, so a child moves onto its parent's new head. */
function parentsFirst(pulls: OpenPull[]): OpenPull[] {
  const branches = new Set(pulls.map((pull) => pull.run.branch));
  const depth = (pull: OpenPull, seen = new Set<string>()): number => {
    if (!branches.has(pull.base) || seen.has(pull.base)) return 0;
    seen.add(pull.base);
    const parent = pulls.find((p) => p.run.branch === pull.base);
    return parent ? 1 + depth(parent, seen) : 0;
  };
  return [...pulls].sort((a, b) => depth(a) - depth(b));
}

/** Steps 2 and 3 for one pull request: its mergeability now, or `undefined` when it is not Switchyard's to touch. */
async function keepOne(pull: OpenPull, scope: Scope): Promise<Mergeability | undefined> {
  const { ctx, mirror } = scope;
  const { run } = pull;
  // A run of the issue is under way (a retry, a repair): it will push the branch itself.
  if (await ctx.store.liveRunFor(run.repo, run.issueNumber)) return undefined;
  const base = {
    files: [],
    after: [],
    collidesWith: scope.collisions.get(pull.number) ?? [],
    head: pull.headSha,
    checkedAt: scope.checkedAt,
  };

  // A branch pushed before Switchyard recorded its pushes is not known to be Switchyard's alone.
  if (run.headSha === null) return undefined;
  if (run.headSha !== pull.headSha) {
    const someone = await pusherOf(mirror, pull.headSha);
    return {
      ...base,
      base: pull.base,
      state: (await checkAgainstBase(pull, pull.base, scope))?.state ?? 'conflicting',
      action: 'handed-off',
      said: `Switchyard no longer updates this pull request: ${someone}. Comment \`/agent retry\` to have the agent redo it on the current \`${pull.base}\` (it replaces those commits).`,
    };
  }

  // Step 2: a stacked pull request whose parent merged moves to the parent's base.
  const target = await retargetIfParentMerged(pull, scope);
  const baseSha = await commitOf(mirror, `refs/remotes/origin/${target.base}`);
  if (!baseSha) {
    return {
      ...base,
      base: target.base,
      state: 'conflicting',
      action: 'handed-off',
      said: `The branch \`${target.base}\` this pull request targets is gone, so Switchyard cannot keep it up to date.`,
    };
  }
  const check = await checkMerge(mirror, baseSha, pull.headSha);
  const parentSha = await commitOf(mirror, `${pull.headSha}^1`);
  // On a parent's branch that moved (a repair, a restack), the child is moved onto its new head.
  const parentMoved = scope.byBranch.has(target.base) && parentSha !== baseSha;
  const mustMove = target.retargetedFrom !== undefined || parentMoved;

  const step = firstStep(check.state, pull.config.pullRequest.update, mustMove);
  if (step.kind === 'leave') {
    return {
      ...base,
      base: target.base,
      state: check.state,
      action: 'none',
      said: steadySaying(target.base, check.state, pull.config.pullRequest.update),
    };
  }

  const replay = await replayCommit(mirror, {
    head: pull.headSha,
    onto: baseSha,
    unionMerge: pull.config.pullRequest.unionMerge,
    identity: ctx.settings.gitAuthor,
  });
  if (replay.sha) await scope.cache.pushWithLease(scope.job.repo, scope.token, replay.sha, run.branch, pull.headSha);
  if (target.pending) await retarget(pull, target.base, scope);
  if (replay.sha) {
    const merged = target.mergedParent !== undefined ? [target.mergedParent] : await mergedSince(pull, baseSha, scope);
    await ctx.store.setHead(run.id, replay.sha, target.base === run.trigger.repo.defaultBranch ? null : target.base);
    const changed = await changeSummary(mirror, pull.headSha, replay.sha);
    const why = mustMove
      ? target.retargetedFrom
        ? `after ${listOfPulls(merged)} merged into \`${target.base}\``
        : `after \`${target.base}\` got new commits`
      : check.state === 'conflicting'
        ? `because it conflicted with it${merged.length > 0 ? ` after ${listOfPulls(merged)} merged` : ''} (in ${fileList(check.files)})`
        : 'because it was behind';
    pull.headSha = replay.sha;
    pull.base = target.base;
    return {
      ...base,
      head: replay.sha,
      base: target.base,
      state: 'clean',
      action: mustMove ? 'restacked' : 'replayed',
      files: check.files,
      after: merged,
      changed,
      said: `${mustMove ? 'Restacked' : 'Replayed'} onto \`${target.base}\` ${why}; ${changed}.`,
    };
  }

  // The run's change no longer merges three-way: the agent redoes it on the new base.
  const collide = await mergedSince(pull, baseSha, scope, replay.conflicts);
  const older = olderCollidingSibling(pull, scope);
  if (older) {
    return {
      ...base,
      base: target.base,
      state: 'conflicting',
      action: 'waiting',
      files: replay.conflicts,
      after: collide,
      said: `This pull request conflicts with \`${target.base}\`${collide.length > 0 ? ` after ${listOfPulls(collide)} merged` : ''} in ${fileList(replay.conflicts)}. Switchyard repairs it once #${older.number} is merged or closed: #${older.number} changes the same lines, so a repair now would have to be made again. Comment \`/agent retry\` to repair it now.`,
    };
  }
  const next = afterConflict(run.repairs, pull.config.pullRequest.maxRepairs, await budgetSpent(pull, ctx));
  const conflicts = `conflicts with \`${target.base}\`${collide.length > 0 ? ` after ${listOfPulls(collide)} merged` : ''} in ${fileList(replay.conflicts)}`;
  const found = { ...base, base: target.base, state: 'conflicting' as const, files: replay.conflicts, after: collide };
  if (next.kind === 'hand-off') {
    const union = pull.config.pullRequest.unionMerge.length === 0 ? unionHint(replay.conflicts) : '';
    return {
      ...found,
      action: 'handed-off',
      said: `This pull request ${conflicts}, and Switchyard will not repair it: ${next.reason}. Resolve it by hand, or comment \`/agent retry\` to have the agent redo it on the current \`${target.base}\`.${union}`,
    };
  }
  const mergeability: Mergeability = {
    ...found,
    action: 'repairing',
    said: `This pull request ${conflicts}: re-running the agent on the current \`${target.base}\` (repair ${next.repair} of ${pull.config.pullRequest.maxRepairs}).`,
  };
  // The context is read from the mirror now; the run is started once the mirror's lock is let go.
  const context = await repairContext(pull, mergeability, scope);
  scope.repairs.push(() => startRepair(pull, mergeability, context, next.repair, baseSha, scope));
  return mergeability;
}

/** Step 2: the base a pull request should target: its parent's base once the parent merged (GitHub retargets only on deletion). */
async function retargetIfParentMerged(
  pull: OpenPull,
  scope: Scope,
): Promise<{
  base: string;
  retargetedFrom?: string | undefined;
  mergedParent?: number | undefined;
  /** Switchyard itself must still retarget the pull request (GitHub did not). */
  pending?: boolean | undefined;
}> {
  const { run } = pull;
  // GitHub moved it already (the parent's branch was deleted on merge): the run still names its old base.
  if (run.baseBranch && run.baseBranch !== pull.base && run.baseBranch !== run.trigger.repo.defaultBranch) {
    const parent = await scope.ctx.store.runOfBranch(run.repo, run.baseBranch);
    return { base: pull.base, retargetedFrom: run.baseBranch, mergedParent: parent?.pullRequestNumber ?? undefined };
  }
  if (scope.byBranch.has(pull.base) || pull.base === run.trigger.repo.defaultBranch) return { base: pull.base };
  const parent = await scope.ctx.store.runOfBranch(run.repo, pull.base);
  if (!parent || parent.pullRequestState !== 'merged') return { base: pull.base };
  const to = parent.baseBranch ?? parent.trigger.repo.defaultBranch;
  return { base: to, retargetedFrom: pull.base, mergedParent: parent.pullRequestNumber ?? undefined, pending: true };
}

/**
 * Moves a pull request to the base Switchyard chose for it, after its restacked commit was
 * pushed: retargeted first, it would look mergeable into the new base before it was restacked.
 */
async function retarget(pull: OpenPull, to: string, scope: Scope): Promise<void> {
  const { run } = pull;
  await scope.octokit.rest.pulls.update({ ...repoParams(run.trigger.repo), pull_number: pull.number, base: to });
  scope.ctx.log.info({ repo: run.repo, pr: pull.number, from: pull.base, to }, 'stacked pull request retargeted');
}

async function checkAgainstBase(pull: OpenPull, branch: string, scope: Scope) {
  const baseSha = await commitOf(scope.mirror, `refs/remotes/origin/${branch}`);
  return baseSha ? checkMerge(scope.mirror, baseSha, pull.headSha) : undefined;
}

/** Merged pull requests that reached the base since the run's change was made (touching `files`, when given). */
async function mergedSince(pull: OpenPull, baseSha: string, scope: Scope, files: readonly string[] = []) {
  const changes = await baseChangesSince(scope.mirror, `${pull.headSha}^1`, baseSha, files);
  return [...new Set(changes.flatMap((change) => (change.pullRequest ? [change.pullRequest] : [])))].reverse();
}

async function pusherOf(mirror: MirrorGit, head: string): Promise<string> {
  const commit = await describeCommit(mirror, head);
  return commit
    ? `${commit.author} pushed to its branch ("${commit.subject.slice(0, 80)}")`
    : 'someone else pushed to its branch';
}
