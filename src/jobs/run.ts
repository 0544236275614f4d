/**
 * The run job: one run from start to its final state. It takes the run from the store, hands
 * the runner a request (worktree, agent, checks, commit, push), and finishes it (pull request,
 * final state, report): `finish.ts`. Every run that starts here ends in a terminal state.
 */
import { hostname } from 'node:os';
import { defaultRepoConfig, type RepoConfig } from '../config/repo.ts';
import type { Meanwhile } from '../domain/final-state.ts';
import type { RunJob } from '../domain/jobs.ts';
import { failedOutcome, type RunOutcome } from '../domain/outcome.ts';
import type { RunRecord } from '../domain/run.ts';
import { StepClock } from '../domain/steps.ts';
import type { GitHubClient, RunToken } from '../github/client.ts';
import type { Logger } from '../log/logger.ts';
import type { Delivery } from '../queue/engine.ts';
import { diskRoom } from '../runner/disk.ts';
import { LogShipper } from '../store/observability.ts';
import type { JobContext, WorkerParts } from './context.ts';
import { endRun, finish } from './finish.ts';
import { afterRunEnded } from './plan.ts';
import { ShutdownInterruption } from './run-registry.ts';
import { runRequestOf } from './run-request.ts';

/** Thrown from a run job so that pg-boss hands it to another worker. */
export class RunHandedBack extends Error {}

export const WORKER_ID = `${hostname()}:${process.pid}`;

export async function run(delivery: Delivery<RunJob>, ctx: JobContext): Promise<void> {
  const worker = ctx.worker;
  if (!worker) throw new Error('run jobs are worked by a worker');
  const { runId } = delivery.data;
  if (delivery.retryCount > 0) await resume(runId, ctx);
  if (await heldForDisk(runId, ctx)) return;
  const started = await ctx.store.startRun(runId);
  if (!started) {
    ctx.log.info({ run: runId }, 'run is no longer queued; nothing to do');
    return;
  }
  ctx.metrics?.runStarted(started);
  const log = ctx.log.child({ run: started.id, repo: started.repo, issue: started.issueNumber, agent: started.agent });
  const clock = performance.now();
  const elapsed = () => Math.round(performance.now() - clock);
  let octokit: GitHubClient;
  try {
    octokit = await ctx.clientFor(started.installationId);
  } catch (error) {
    log.error({ err: error }, 'no GitHub client for the installation');
    const reason = `Switchyard could not authenticate as the installation: ${(error as Error).message}`;
    await afterRunEnded(await endRun(started, { state: 'failed', reason }, ctx), ctx);
    return;
  }
  const { outcome, config, signal } = await execute(started, octokit, worker, ctx, log);
  if (signal.reason instanceof ShutdownInterruption && delivery.retryCount < delivery.retryLimit) {
    // Left running on purpose: the next attempt (on another worker) resumes it.
    await ctx.attempts.end(started.id, started.attempt, 'interrupted');
    log.warn('run handed back: the worker is shutting down');
    throw new RunHandedBack(`run ${started.id} handed back for a retry`);
  }
  const meanwhile: Meanwhile = {
    cancelReason: signal.aborted ? (signal.reason as Error | undefined)?.message : undefined,
    shutDownForGood: signal.reason instanceof ShutdownInterruption,
    elapsedMs: elapsed(),
  };
  if (outcome.checks.length > 0) await ctx.store.recordChecks(started.id, outcome.checks);
  let finished: RunRecord;
  try {
    finished = await finish(started, outcome, meanwhile, config ?? defaultRepoConfig(), octokit, ctx);
    log.info(
      { state: finished.state, ms: elapsed(), agentMs: outcome.agentMs, pr: finished.pullRequestUrl },
      'run finished',
    );
  } catch (error) {
    // GitHub is unreachable: the record still reaches a terminal state.
    log.error({ err: error }, 'could not report the run');
    const reason = `Could not report to GitHub: ${(error as Error).message}`;
    finished = await endRun(
      started,
      { state: 'failed', reason, agentMs: outcome.agentMs, keptBranch: outcome.pushed },
      ctx,
    );
  }
  ctx.metrics?.runFinished(finished, elapsed(), outcome.usage);
  await afterRunEnded(finished, ctx).catch((error: unknown) =>
    log.error({ err: error }, 'could not plan after the run'),
  );
}

/** The job came back after its worker died or shut down: the run goes on as its next attempt. */
async function resume(runId: string, ctx: JobContext): Promise<void> {
  const resumed = await ctx.store.resumeInterrupted(runId);
  if (!resumed) return;
  const note = `Attempt ${resumed.attempt - 1} was interrupted: its worker stopped. Retrying from a clean worktree as attempt ${resumed.attempt}.`;
  await ctx.records.setNote(resumed.repo, resumed.issueNumber, note);
  ctx.log.warn({ run: runId, attempt: resumed.attempt }, 'retrying an interrupted run');
}

/** How long a held run's job waits for the plan that sent it to mark the run dispatched. */
const MARK_WAIT_MS = 5_000;

/**
 * A run does not start without room for its worktree: it waits, and is planned again in a
 * minute. The plan sends the job before it marks the run dispatched, so a job taken at once may
 * get here first: held before the mark, the run would be marked after it, dispatched with its
 * job completed, and ended by the sweep as orphaned. The hold waits for the mark.
 */
export async function heldForDisk(
  runId: string,
  ctx: Pick<JobContext, 'settings' | 'store' | 'send' | 'log'>,
): Promise<boolean> {
  const room = await diskRoom(ctx.settings.dataDir, ctx.settings.minFreeDiskBytes);
  if (room.enough) return false;
  let run = await ctx.store.getRun(runId);
  for (const since = Date.now(); run?.state === 'waiting' || (run?.state === 'queued' && !run.dispatchedAt);) {
    // Past the wait, the plan that sent this job is gone: the run is held as it is, undispatched.
    if (Date.now() - since > MARK_WAIT_MS) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
    run = await ctx.store.getRun(runId);
  }
  if (!run || (run.state !== 'queued' && run.state !== 'waiting')) return true;
  const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const reason = `waits for disk space: ${mib(room.freeBytes)} MiB free where Switchyard keeps worktrees, ${mib(room.neededBytes)} MiB needed. It starts by itself once there is room.`;
  await ctx.store.requeueRun(run.id, reason);
  await ctx.send.report({ repo: run.repo, issueNumber: run.issueNumber });
  ctx.log.warn({ run: run.id, freeMiB: mib(room.freeBytes) }, 'run held: low disk space');
  await ctx.send.plan({ repo: run.repo, installationId: run.installationId }, 60_000);
  return true;
}

/** The runner's part, with the run's token, log shipping and progress around it; never throws. */
async function execute(
  run: RunRecord,
  octokit: GitHubClient,
  worker: WorkerParts,
  ctx: JobContext,
  log: Logger,
): Promise<{ outcome: RunOutcome; config: RepoConfig | undefined; signal: AbortSignal }> {
  // Watched for cancels before the issue shows it running: a cancel seen there always reaches it.
  const controller = worker.runs.register(run.id);
  const clock = new StepClock();
  let runToken: RunToken | undefined;
  let config: RepoConfig | undefined;
  const progress = reportProgress(ctx, run, log);
  const shipper = new LogShipper(ctx.observability, run.id, run.attempt, (error) =>
    log.debug({ err: error }, 'a piece of the run log was not shipped'),
  );
  try {
    await ctx.attempts.start(run.id, run.attempt, WORKER_ID);
    await ctx.send.report({ repo: run.repo, issueNumber: run.issueNumber, settled: true });
    const prepared = await clock.time('request', () => runRequestOf(run, octokit, ctx));
    config = prepared.config;
    runToken = await clock.time('token', () => ctx.tokenFor(run.installationId, run.trigger.repo.name));
    ctx.redactor.add(runToken.token);
    log.info('run started');
    const outcome = await worker.runner.execute({
      ...prepared.request,
      token: runToken.token,
      onLog: (text) => shipper.push(text),
      onProgress: (line) => progress.update(line),
      signal: controller.signal,
      log,
    });
    clock.merge(outcome.steps);
    return { outcome: { ...outcome, steps: clock.timings }, config, signal: controller.signal };
  } catch (error) {
    log.error({ err: error }, 'run crashed');
    return { outcome: { ...crashOutcome(error), steps: clock.timings }, config, signal: controller.signal };
  } finally {
    progress.stop();
    await shipper.close();
    worker.runs.unregister(run.id);
    await runToken
      ?.revoke()
      .catch((error: unknown) =>
        log.warn({ err: error }, "could not revoke the run's token; it expires within the hour"),
      );
  }
}

/**
 * Keeps a running run's comment current: every progress interval the agent's newest line (when
 * it changed) goes to the record, and the comment is written again with the time so far.
 */
function reportProgress(ctx: JobContext, run: RunRecord, log: Logger): { update(line: string): void; stop(): void } {
  let latest: string | undefined;
  let recorded: string | undefined;
  const timer = setInterval(() => {
    const line = latest;
    const write =
      line !== undefined && line !== recorded ? ctx.store.setProgress(run.id, (recorded = line)) : Promise.resolve();
    write
      .then(() => ctx.send.report({ repo: run.repo, issueNumber: run.issueNumber }))
      .catch((error: unknown) => log.warn({ err: error }, 'could not record progress'));
  }, ctx.settings.progressIntervalMs);
  timer.unref();
  return {
    update: (line) => (latest = line),
    stop: () => clearInterval(timer),
  };
}

function crashOutcome(error: unknown): RunOutcome {
  return failedOutcome(
    `Switchyard could not complete the run: ${error instanceof Error ? error.message : String(error)}`,
  );
}
