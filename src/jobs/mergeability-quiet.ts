/**
 * Before a mergeability pass asks GitHub anything (the open pull requests, a token, a fetch):
 * whether it could find anything new. Most passes follow a run that opened its pull request on
 * a base nobody moved since; such a pass has nothing to repair, and what it would record for the
 * new pull request is read from the mirror alone.
 */
import { storedConfigOf } from '../config/repo.ts';
import { firstStep, quietPass, type Mergeability } from '../domain/mergeability.ts';
import type { MergeabilityJob } from '../domain/jobs.ts';
import type { RunRecord } from '../domain/run.ts';
import { steadySaying } from '../github/mergeability.ts';
import { checkMerge, collisions, commitOf } from '../runner/mergeability.ts';
import type { RepoCache } from '../runner/repo-cache.ts';
import type { JobContext } from './context.ts';

/** As many open pull requests as the pass's own collision check looks at. */
const MAX_PULLS = 20;

/**
 * True when nothing the pass reads moved since each open pull request was last checked: the
 * never-checked ones then get the record the pass would write (mergeable, colliding with none),
 * and the pass is done. False when only a full pass can tell, or the mirror cannot answer.
 */
export async function nothingToFind(
  job: MergeabilityJob,
  runs: RunRecord[],
  cache: RepoCache,
  checkedAt: string,
  ctx: JobContext,
): Promise<boolean> {
  const quiet = quietPass(runs, await ctx.store.branchPushes(job.repo.fullName));
  if (!quiet || runs.length > MAX_PULLS) return false;
  if (quiet.unchecked.length === 0) return true;
  const base = job.repo.defaultBranch;
  const loaded = runs.map((run) => ({ run, config: storedConfigOf(run) }));
  let found: Array<[RunRecord, Mergeability]> | undefined;
  try {
    // `undefined`: something the pass would act on, or that only it can tell.
    found = await cache.withMirror(job.repo, async (mirror) => {
      const baseSha = await commitOf(mirror, `refs/remotes/origin/${base}`);
      const [first] = loaded;
      if (!baseSha || !first?.config.ok || loaded.some(({ config }) => !config.ok)) return undefined;
      const heads = runs.map((run) => ({ number: run.pullRequestNumber ?? 0, sha: run.headSha ?? '' }));
      if ((await collisions(mirror, heads, first.config.config.pullRequest.unionMerge)).length > 0) return undefined;
      const records: Array<[RunRecord, Mergeability]> = [];
      for (const { run, config } of loaded) {
        if (!quiet.unchecked.includes(run)) continue;
        if (!config.ok || !run.headSha) return undefined;
        const policy = config.config.pullRequest.update;
        const { state } = await checkMerge(mirror, baseSha, run.headSha);
        if (state === 'conflicting' || firstStep(state, policy, false).kind !== 'leave') return undefined;
        records.push([
          run,
          {
            base,
            state,
            action: 'none',
            files: [],
            after: [],
            collidesWith: [],
            said: steadySaying(base, state, policy),
            head: run.headSha,
            checkedAt,
          },
        ]);
      }
      return records;
    });
  } catch (error) {
    // A head this worker's mirror does not hold (another worker pushed it), or no mirror yet.
    ctx.log.debug({ repo: job.repo.fullName, err: error }, 'mergeability: the mirror cannot tell; a full pass');
    return false;
  }
  if (!found) return false;
  for (const [run, mergeability] of found) await ctx.store.setMergeability(run.id, mergeability);
  ctx.log.debug({ repo: job.repo.fullName, recorded: found.length }, 'mergeability: nothing moved; no requests');
  return true;
}
