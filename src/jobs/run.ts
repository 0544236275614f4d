/**
 * The run job: where the runner (worktrees, processes) and the GitHub side (comments, pull
 * requests) meet, through the run record. Every run that starts here ends in a terminal state.
 */
import { diskRoom } from '../runner/disk.ts';
import { hostname } from 'node:os';
import { DEFAULT_STALL_TIMEOUT, type AgentCatalogue } from '../config/agents.ts';
import { configOfRun, defaultRepoConfig, resolveAgent, type RepoConfig } from '../config/repo.ts';
import type { ClientFactory, GitHubClient, RunToken, TokenSource } from '../github/client.ts';
import { reportFinished } from './finish.ts';
import { formatDuration } from '../domain/duration.ts';
import type { StatusReporter } from '../github/status-reporter.ts';
import { agentOfLabel } from '../github/trigger.ts';
import type { GitHubRecords } from '../store/github-records.ts';
import type { Logger } from '../log/logger.ts';
import type { Redactor } from '../log/redact.ts';
import type { RunDelivery } from '../queue/jobs.ts';
import { runBudget, startOfUtcDay } from '../scheduler/budget.ts';
import { LogShipper, type ObservabilityStore } from '../store/observability.ts';
import type { Runner } from '../runner/execute.ts';
import { failedOutcome, type RunOutcome } from '../domain/outcome.ts';
import type { Store } from '../store/records.ts';
import type { RunRecord } from '../domain/run.ts';
import type { Metrics } from '../web/metrics.ts';

export interface RunWorkerDeps {
  store: Store;
  /** Called when a run has ended, so that the runs waiting for it are planned again. */
  onFinished: (run: RunRecord) => Promise<void>;
  /** Called when a run could not start and waits again (low disk): plan it later. */
  onHeld: (run: RunRecord) => Promise<void>;
  runner: Runner;
  agents: AgentCatalogue;
  /** The operator's instructions for every prompt. */
  operatorPrompt?: string | undefined;
  /** Where the dashboard is reached, for links to run pages. */
  publicUrl?: string | undefined;
  /** Where run logs are shipped for the dashboard. */
  observability?: ObservabilityStore | undefined;
  clientFor: ClientFactory;
  tokenFor: TokenSource;
  status: StatusReporter;
  records: GitHubRecords;
  redactor: Redactor;
  cancels: CancelRegistry;
  dataDir: string;
  minFreeDiskBytes: number;
  /** How often a running run's status comment is brought up to date (elapsed time, last output). */
  progressIntervalMs: number;
  metrics?: Metrics | undefined;
  log: Logger;
}

/** The abort switches of the runs this process is executing, polled against cancel requests. */
export class CancelRegistry {
  readonly #running = new Map<string, { controller: AbortController; reason: string | undefined }>();
  #timer: NodeJS.Timeout | undefined;

  register(runId: string): AbortController {
    const controller = new AbortController();
    this.#running.set(runId, { controller, reason: undefined });
    return controller;
  }

  unregister(runId: string): void {
    this.#running.delete(runId);
  }

  cancel(runId: string, reason: string | Error): void {
    const entry = this.#running.get(runId);
    if (!entry || entry.controller.signal.aborted) return;
    const error = reason instanceof Error ? reason : new Error(reason);
    entry.reason = error.message;
    entry.controller.abort(error);
  }

  get size(): number {
    return this.#running.size;
  }

  /** Stops every run of this process, to be tried again elsewhere: the process is shutting down. */
  interruptAll(): void {
    for (const runId of this.#running.keys()) this.cancel(runId, new ShutdownInterruption());
  }

  /** Checks the store for cancel requests of the runs here, every `intervalMs`. */
  watch(store: Store, intervalMs: number, log: Logger): void {
    this.#timer = setInterval(() => {
      store.cancelRequests([...this.#running.keys()]).then(
        (requests) => {
          for (const [runId, reason] of requests) this.cancel(runId, reason);
        },
        (error: unknown) => log.warn({ err: error }, 'could not read cancel requests'),
      );
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}

/** The abort reason when a worker shuts down: the run is handed back, not cancelled. */
export class ShutdownInterruption extends Error {
  constructor() {
    super('the worker shut down');
  }
}

/** Thrown from a run job so that pg-boss hands it to another worker. */
export class RunHandedBack extends Error {}

export const WORKER_ID = `${hostname()}:${process.pid}`;

const DEFAULT_CONFIG = defaultRepoConfig();

export async function executeRunJob(delivery: RunDelivery, deps: RunWorkerDeps): Promise<RunRecord | undefined> {
  const { runId } = delivery;
  if (delivery.retryCount > 0) {
    const resumed = await deps.store.resumeInterrupted(runId);
    if (resumed) {
      const note = `Attempt ${resumed.attempt - 1} was interrupted: its worker stopped. Retrying from a clean worktree as attempt ${resumed.attempt}.`;
      await deps.records.setNote(resumed.repo, resumed.issueNumber, note);
      deps.log.warn({ run: runId, attempt: resumed.attempt }, 'retrying an interrupted run');
    }
  }
  const room = await diskRoom(deps.dataDir, deps.minFreeDiskBytes);
  const free = room.freeBytes;
  if (!room.enough) {
    const run = await deps.store.getRun(runId);
    if (!run || run.state !== 'queued') return undefined;
    const reason = `waits for disk space: ${Math.round(free / 1024 / 1024)} MiB free where Switchyard keeps worktrees, ${Math.round(deps.minFreeDiskBytes / 1024 / 1024)} MiB needed. It starts by itself once there is room.`;
    await deps.store.requeueRun(run.id, reason);
    void deps.status.refresh({ repo: run.repo, issueNumber: run.issueNumber });
    deps.log.warn({ run: run.id, freeMiB: Math.round(free / 1024 / 1024) }, 'run held: low disk space');
    await deps.onHeld(run);
    return undefined;
  }

  const run = await deps.store.startRun(runId);
  if (!run) {
    deps.log.info({ run: runId }, 'run is no longer queued; nothing to do');
    return undefined;
  }
  deps.metrics?.runStarted(run);
  const log = deps.log.child({ run: run.id, repo: run.repo, issue: run.issueNumber, agent: run.agent });
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let octokit: GitHubClient;
  try {
    octokit = await deps.clientFor(run.installationId);
  } catch (error) {
    log.error({ err: error }, 'no GitHub client for the installation');
    return deps.store.failRun(
      run.id,
      `Switchyard could not authenticate as the installation: ${(error as Error).message}`,
    );
  }
  const controller = deps.cancels.register(run.id);
  await deps.store.startAttempt(run.id, run.attempt, WORKER_ID);
  let outcome: RunOutcome;
  let config: RepoConfig = DEFAULT_CONFIG;
  let runToken: RunToken | undefined;
  let progress: { update(line: string): void; stop(): void } | undefined;
  let shipper: LogShipper | undefined;
  try {
    void deps.status.refresh({ repo: run.repo, issueNumber: run.issueNumber });
    const agent = deps.agents[run.agent];
    if (!agent) throw new Error(`The agent \`${run.agent}\` was removed from this Switchyard's configuration.`);
    const loaded = await configOfRun(run, octokit);
    if (!loaded.ok) throw new Error(`\`.github/switchyard.yml\` became invalid: ${loaded.problems.join('; ')}`);
    config = loaded.config;
    const labelPrompt = resolveAgent(agentOfLabel(run.trigger.label) ?? run.agent, config).prompt;
    runToken = await deps.tokenFor(run.installationId, run.trigger.repo.name);
    const token = runToken.token;
    deps.redactor.add(token);
    const pool = config.runner.reuseWorktrees;
    log.info('run started');
    progress = reportProgress(deps, run, log);
    shipper = deps.observability
      ? new LogShipper(deps.observability, run.id, run.attempt, (error) =>
          log.debug({ err: error }, 'a piece of the run log was not shipped'),
        )
      : undefined;
    const today = startOfUtcDay(new Date());
    const budget = runBudget({
      agentName: run.agent,
      agent,
      repository: config.limits,
      spentToday: {
        agent: agent.maxCostPerDay ? await deps.store.spentSince(today, { agent: run.agent }) : 0,
        repository: config.limits.maxCostPerDay ? await deps.store.spentSince(today, { repo: run.repo }) : 0,
      },
    });
    outcome = await deps.runner.execute({
      runId: run.id,
      repo: run.trigger.repo,
      issue: run.trigger.issue,
      agentName: run.agent,
      agent,
      branch: run.branch,
      base: run.baseBranch ?? run.trigger.repo.defaultBranch,
      token,
      attempt: run.attempt,
      timeoutMs: Math.min(agent.timeout, config.runner.timeout ?? Infinity),
      stallMs: agent.stallTimeout ?? DEFAULT_STALL_TIMEOUT,
      budget,
      onLog: shipper ? (text) => shipper?.push(text) : undefined,
      onProgress: (line) => progress?.update(line),
      checks: { commands: config.checks.commands, timeoutMs: config.checks.timeoutMs ?? agent.timeout },
      poolSize: pool === true ? 2 : pool === false ? 0 : pool,
      keep: config.runner.keep,
      comments: run.comments,
      promptAdditions: [deps.operatorPrompt, config.prompt, labelPrompt].filter((text): text is string =>
        Boolean(text),
      ),
      signal: controller.signal,
      log,
    });
  } catch (error) {
    log.error({ err: error }, 'run crashed');
    outcome = crashOutcome(error);
  } finally {
    progress?.stop();
    await shipper?.close();
    deps.cancels.unregister(run.id);
    await runToken
      ?.revoke()
      .catch((error: unknown) =>
        log.warn({ err: error }, "could not revoke the run's token; it expires within the hour"),
      );
  }
  if (controller.signal.reason instanceof ShutdownInterruption) {
    if (delivery.retryCount < delivery.retryLimit) {
      // Left running on purpose: the next attempt (on another worker) resumes it.
      await deps.store.endAttempt(run.id, run.attempt, 'interrupted');
      log.warn('run handed back: the worker is shutting down');
      throw new RunHandedBack(`run ${run.id} handed back for a retry`);
    }
    outcome.reason = 'The worker running it shut down, and no retry is left.';
  }
  const cancelReason = controller.signal.aborted ? (controller.signal.reason as Error | undefined)?.message : undefined;
  if (outcome.state === 'cancelled' && cancelReason)
    outcome.reason = `Cancelled after ${formatDuration(elapsed())}: ${cancelReason}.`;
  if (outcome.checks.length > 0) await deps.store.recordChecks(run.id, outcome.checks);

  let finished: RunRecord;
  try {
    finished = await reportFinished(
      octokit,
      { store: deps.store, records: deps.records, status: deps.status, publicUrl: deps.publicUrl, log },
      run,
      outcome,
      config,
      elapsed,
    );
    log.info(
      { state: finished.state, ms: elapsed(), agentMs: outcome.agentMs, pr: finished.pullRequestUrl },
      'run finished',
    );
  } catch (error) {
    // GitHub is unreachable: the record still reaches a terminal state.
    log.error({ err: error }, 'could not report the run');
    finished = await deps.store.finishRun(run.id, {
      state: 'failed',
      reason: `Could not report to GitHub: ${(error as Error).message}`,
      agentMs: outcome.agentMs,
      keptBranch: outcome.pushed,
    });
    void deps.status.refresh({ repo: run.repo, issueNumber: run.issueNumber });
  }
  await deps.store.endAttempt(run.id, run.attempt, finished.state);
  deps.metrics?.runFinished(finished, elapsed(), outcome.usage);
  await deps.onFinished(finished).catch((error: unknown) => log.error({ err: error }, 'could not plan after the run'));
  return finished;
}

/**
 * Keeps a running run's comment current: every progress interval the agent's newest line (when
 * it changed) goes to the record, and the comment is written again with the time so far.
 */
function reportProgress(
  deps: Pick<RunWorkerDeps, 'store' | 'status' | 'progressIntervalMs'>,
  run: RunRecord,
  log: Logger,
): { update(line: string): void; stop(): void } {
  let latest: string | undefined;
  let recorded: string | undefined;
  const timer = setInterval(() => {
    const line = latest;
    const write =
      line !== undefined && line !== recorded ? deps.store.setProgress(run.id, (recorded = line)) : Promise.resolve();
    write.then(
      () => void deps.status.refresh({ repo: run.repo, issueNumber: run.issueNumber }),
      (error: unknown) => log.warn({ err: error }, 'could not record progress'),
    );
  }, deps.progressIntervalMs);
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
