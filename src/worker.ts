/**
 * The run job: where the runner (worktrees, processes) and the GitHub side (comments, pull
 * requests) meet, through the run record. Every run that starts here ends in a terminal state.
 */
import { installationToken, type ClientFactory, type GitHubClient } from './github/client.ts';
import { reportFinished, reportStarted } from './github/report.ts';
import type { AgentCatalogue } from './config/agents.ts';
import type { Logger } from './log/logger.ts';
import type { Redactor } from './log/redact.ts';
import type { RunOutcome, Runner } from './runner/execute.ts';
import type { RunRecord, Store } from './store/records.ts';

export interface RunWorkerDeps {
  store: Store;
  /** Called when a run has ended, so that the runs waiting for it are planned again. */
  onFinished: (run: RunRecord) => Promise<void>;
  runner: Runner;
  agents: AgentCatalogue;
  clientFor: ClientFactory;
  redactor: Redactor;
  log: Logger;
}

export async function executeRunJob(runId: string, deps: RunWorkerDeps): Promise<RunRecord | undefined> {
  const run = await deps.store.startRun(runId);
  if (!run) {
    deps.log.info({ run: runId }, 'run is no longer queued; nothing to do');
    return undefined;
  }
  const log = deps.log.child({ run: run.id, repo: run.repo, issue: run.issueNumber, agent: run.agent });
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let octokit: GitHubClient;
  try {
    octokit = await deps.clientFor(run.installationId);
  } catch (error) {
    log.error({ err: error }, 'no GitHub client for the installation');
    return deps.store.failRun(run.id, `Switchyard could not authenticate as the installation: ${(error as Error).message}`);
  }
  let outcome: RunOutcome;
  try {
    await reportStarted(octokit, deps.store, run);
    const agent = deps.agents[run.agent];
    if (!agent) throw new Error(`The agent \`${run.agent}\` was removed from this Switchyard's configuration.`);
    const token = await installationToken(octokit);
    deps.redactor.add(token);
    log.info('run started');
    outcome = await deps.runner.execute({
      runId: run.id,
      repo: run.trigger.repo,
      issue: run.trigger.issue,
      agentName: run.agent,
      agent,
      branch: run.branch,
      base: run.baseBranch ?? run.trigger.repo.defaultBranch,
      token,
      log,
    });
  } catch (error) {
    log.error({ err: error }, 'run crashed');
    outcome = crashOutcome(error);
  }
  let finished: RunRecord;
  try {
    finished = await reportFinished(octokit, deps.store, run, outcome, elapsed);
    log.info({ state: finished.state, ms: elapsed(), agentMs: outcome.agentMs, pr: finished.pullRequestUrl }, 'run finished');
  } catch (error) {
    // GitHub is unreachable: the record still reaches a terminal state.
    log.error({ err: error }, 'could not report the run');
    finished = await deps.store.finishRun(run.id, { state: 'failed', reason: `Could not report to GitHub: ${(error as Error).message}`, agentMs: outcome.agentMs });
  }
  await deps.onFinished(finished).catch((error: unknown) => log.error({ err: error }, 'could not plan after the run'));
  return finished;
}

function crashOutcome(error: unknown): RunOutcome {
  return {
    state: 'failed',
    reason: `Switchyard could not complete the run: ${error instanceof Error ? error.message : String(error)}`,
    changed: false,
    pushed: false,
    baseSha: undefined,
    commitSha: undefined,
    diffStat: undefined,
    agentMs: 0,
    logTail: '',
  };
}
