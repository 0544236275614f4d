/**
 * The plan job: gathers what the scheduler needs (live runs, dependencies from issue bodies and
 * GitHub's issue dependencies, the state of referenced issues, limits), asks the pure scheduler,
 * and carries out its decisions: dispatch, hold with a reason, or stop a cycle.
 */
import { configOfRun } from '../config/repo-load.ts';
import { defaultRepoConfig } from '../config/repo.ts';
import { repoParams, statusOf, type GitHubClient } from '../github/client.ts';
import type { PlanJob } from '../domain/jobs.ts';
import { parseDependencies } from '../scheduler/dependencies.ts';
import { predictFiles } from '../scheduler/files.ts';
import { startOfUtcDay, type DailySpend } from '../scheduler/budget.ts';
import { batchReport } from '../scheduler/report.ts';
import { schedule, type IssueFact, type PlanItem } from '../scheduler/schedule.ts';
import type { Store } from '../store/runs.ts';
import type { RepoRef, RunRecord } from '../domain/run.ts';
import type { JobContext } from './context.ts';
import { endLiveRun } from './finish.ts';

/** What a run is expected to take when its agent has no history in the repository. */
export const DEFAULT_ESTIMATE_MS = 10 * 60 * 1000;

const DEFAULT_CONFIG = defaultRepoConfig();

async function blockedBy(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
): Promise<{ issues: number[]; foreign: string[] }> {
  const issues: number[] = [];
  const foreign: string[] = [];
  const { data } = await octokit.rest.issues.listDependenciesBlockedBy({
    ...repoParams(repo),
    issue_number: issueNumber,
    per_page: 100,
  });
  for (const blocker of data) {
    const [, owner, name] = /repos\/([^/]+)\/([^/]+)\/issues\/\d+$/.exec(blocker.url) ?? [];
    if (`${owner}/${name}`.toLowerCase() === repo.fullName.toLowerCase()) issues.push(blocker.number);
    else foreign.push(`${owner}/${name}#${blocker.number}`);
  }
  return { issues, foreign };
}

async function issueFact(octokit: GitHubClient, store: Store, repo: RepoRef, issueNumber: number): Promise<IssueFact> {
  let state: IssueFact['state'];
  try {
    const { data } = await octokit.rest.issues.get({ ...repoParams(repo), issue_number: issueNumber });
    state = data.state === 'closed' ? 'closed' : 'open';
  } catch (error) {
    if (statusOf(error) !== 404 && statusOf(error) !== 410) throw error;
    state = 'missing';
  }
  const last = await store.lastFinishedRun(repo.fullName, issueNumber);
  const lastRun =
    last && last.state !== 'queued' && last.state !== 'waiting' && last.state !== 'running'
      ? { state: last.state, branch: last.branch, pullRequest: last.pullRequestNumber }
      : undefined;
  return { state, lastRun };
}

async function openSwitchyardPullRequests(octokit: GitHubClient, repo: RepoRef): Promise<number> {
  const pulls = await octokit.paginate(octokit.rest.pulls.list, { ...repoParams(repo), state: 'open', per_page: 100 });
  return pulls.filter((p) => p.head.ref.startsWith('agent/')).length;
}

export async function plan(job: PlanJob, ctx: JobContext): Promise<void> {
  const runs = await ctx.store.liveRuns(job.repo, { acknowledged: true, windowClosed: true });
  if (runs.length === 0) return;
  const log = ctx.log.child({ repo: job.repo, plan: true });
  const repo = (runs[0] as RunRecord).trigger.repo;
  const octokit = await ctx.clientFor(job.installationId);
  // The newest trigger's config speaks for the repository: a changed file counts from the next trigger.
  const newest = runs[runs.length - 1] as RunRecord;
  const loaded = await configOfRun(newest, octokit);
  if (!loaded.ok) log.warn({ problems: loaded.problems }, 'repository config became invalid; planning with defaults');
  const config = loaded.ok ? loaded.config : DEFAULT_CONFIG;

  const items: PlanItem[] = [];
  const referenced = new Set<number>();
  const estimates = new Map<string, number>();
  for (const run of runs) {
    const occupying = run.state === 'running' || run.dispatchedAt !== null;
    let dependsOn = run.dependsOn;
    let foreign = run.foreignDependencies;
    // Read once, when a run is first planned: a batch of n waiting runs must not cost n calls per plan.
    if (!occupying && run.dependenciesReadAt === null) {
      const fromBody = parseDependencies(run.trigger.issue.body, repo.fullName);
      // The trigger's payload says how many issues block this one: none spares the request.
      const fromGitHub =
        run.trigger.issue.blockedBy === 0
          ? { issues: [], foreign: [] }
          : await blockedBy(octokit, repo, run.issueNumber);
      dependsOn = [...new Set([...fromBody.issues, ...fromGitHub.issues])].sort((a, b) => a - b);
      foreign = [...new Set([...fromBody.foreign, ...fromGitHub.foreign])];
      await ctx.store.setDependencies(run.id, dependsOn, foreign);
    }
    if (!occupying) for (const dependency of dependsOn) referenced.add(dependency);
    if (!estimates.has(run.agent))
      estimates.set(run.agent, (await ctx.store.estimateMs(repo.fullName, run.agent)) ?? DEFAULT_ESTIMATE_MS);
    items.push({
      runId: run.id,
      issue: run.issueNumber,
      state: occupying ? 'running' : run.state === 'waiting' ? 'waiting' : 'queued',
      priority: run.priority,
      createdAt: run.createdAt.getTime(),
      estimateMs: estimates.get(run.agent) ?? DEFAULT_ESTIMATE_MS,
      dependsOn,
      foreign,
      files: predictFiles(run.trigger.issue.body),
      branch: run.branch,
      agent: run.agent,
    });
  }
  const facts: Record<number, IssueFact> = {};
  for (const issue of referenced) facts[issue] = await issueFact(octokit, ctx.store, repo, issue);

  const { maxOpenPullRequests, runsPerHour, maxCostPerDay } = config.limits;
  const today = startOfUtcDay(new Date());
  const agentSpend: Record<string, DailySpend> = {};
  for (const name of new Set(items.map((item) => item.agent ?? ''))) {
    const cap = ctx.agents[name]?.maxCostPerDay;
    if (cap) agentSpend[name] = { cap, spent: await ctx.store.spentSince(today, { agent: name }) };
  }
  const result = schedule({
    items,
    facts,
    release: config.dependencies.release,
    limits: {
      repoConcurrency: config.concurrency ?? ctx.settings.concurrency,
      globalFree:
        ctx.settings.concurrency -
        (await ctx.store.occupiedSlots()) +
        items.filter((i) => i.state === 'running').length,
      maxOpenPullRequests,
      openPullRequests: maxOpenPullRequests === null ? 0 : await openSwitchyardPullRequests(octokit, repo),
      runsPerHour,
      startedLastHour:
        runsPerHour === null ? 0 : await ctx.store.startedSince(repo.fullName, new Date(Date.now() - 60 * 60 * 1000)),
      dailySpend: {
        repository:
          maxCostPerDay === null
            ? undefined
            : { cap: maxCostPerDay, spent: await ctx.store.spentSince(today, { repo: repo.fullName }) },
        agents: agentSpend,
      },
    },
  });

  const byId = new Map(runs.map((r) => [r.id, r]));
  // Holds are written together, and only where the reason is news: a plan runs on every trigger of a burst.
  const holds = result.decisions.flatMap((d) => {
    const run = byId.get(d.runId);
    return d.kind === 'wait' && run && !(run.state === 'waiting' && run.waitingReason === d.reason)
      ? [{ id: d.runId, reason: d.reason }]
      : [];
  });
  const held = await ctx.store.holdRuns(holds);
  for (const decision of result.decisions) {
    const run = byId.get(decision.runId) as RunRecord;
    if (decision.kind === 'start') {
      // The job first, then the mark: a crash in between leaves a job for a run still undispatched
      // (its worker starts it anyway), never a run marked dispatched that no job will ever start.
      await ctx.store.setBase(run.id, decision.base ?? null);
      // A job of the issue still live (one that just held its run for disk space, and is ending) took
      // this one's place: marked dispatched, the run would look orphaned once that job completes.
      if (!(await ctx.send.run({ runId: run.id }, run.repo, run.issueNumber))) {
        log.info({ run: run.id, issue: run.issueNumber }, 'run not dispatched: a job of the issue is still live');
        continue;
      }
      await ctx.store.dispatchRun(run.id, decision.base ?? null);
      if (run.state === 'waiting') await ctx.send.report({ repo: run.repo, issueNumber: run.issueNumber });
      log.info({ run: run.id, issue: run.issueNumber, base: decision.base }, 'run dispatched');
    } else if (decision.kind === 'wait') {
      if (held.has(run.id) && !(decision.slotOnly && run.state === 'queued')) {
        // Why a run waits is news that lasts only as long as the wait: it is written at once.
        await ctx.send.report({ repo: run.repo, issueNumber: run.issueNumber, urgent: true });
        log.info({ run: run.id, issue: run.issueNumber, reason: decision.reason }, 'run waits');
      }
    } else {
      await endLiveRun(run.id, 'cancelled', `#${run.issueNumber} ${decision.reason}`, ctx);
      log.info({ run: run.id, cycle: decision.cycle }, 'run on a dependency cycle stopped');
    }
  }
  // Limits clear with time (runs per hour) or elsewhere (other repositories' runs): look again later.
  if (result.decisions.some((d) => d.kind === 'wait' && d.cause === 'limit'))
    await ctx.send.plan(job, LIMIT_RECHECK_MS);
  // Every run planned here was live: only those this pass ended (a cycle) can finish a batch. The
  // others' batches close as their runs end (`afterRunEnded`); reading every batch on every pass
  // cost a read of the whole batch per trigger of a burst.
  const ended = result.decisions.flatMap((d) => (d.kind === 'cycle' ? [byId.get(d.runId) as RunRecord] : []));
  if (ended.length > 0) await closeFinishedBatches(ctx, ended, config.concurrency ?? ctx.settings.concurrency);
}

/** How soon a run held by a limit is planned again when nothing else happens. */
export const LIMIT_RECHECK_MS = 30_000;

/** Closes the batches of `runs` whose runs have all ended, with their plan reports. */
export async function closeFinishedBatches(
  deps: Pick<JobContext, 'store' | 'batches' | 'log'>,
  runs: readonly RunRecord[],
  concurrency: number,
): Promise<void> {
  for (const batchId of new Set(runs.map((r) => r.batchId).filter((id): id is string => id !== null))) {
    const members = await deps.store.runsOfBatch(batchId);
    const report = (all: RunRecord[]) =>
      batchReport(
        all.map((r) => ({
          issue: r.issueNumber,
          state: r.state,
          dependsOn: r.dependsOn,
          createdAt: r.createdAt.getTime(),
          startedAt: r.startedAt?.getTime() ?? null,
          finishedAt: r.finishedAt?.getTime() ?? null,
        })),
        concurrency,
      );
    if (await deps.batches.closeIfDone(batchId, report, members)) deps.log.info({ batch: batchId }, 'batch finished');
  }
}

/** A run ended (or was ended): the runs waiting for it are planned again, and its batch may be done. */
export async function afterRunEnded(run: RunRecord, ctx: JobContext): Promise<void> {
  await ctx.send.plan({ repo: run.repo, installationId: run.installationId });
  await closeFinishedBatches(ctx, [run], ctx.settings.concurrency);
}
