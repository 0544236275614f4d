/**
 * One run, start to finish: worktree from the mirror, agent process, commit, push, cleanup.
 * The runner knows nothing about webhooks or comments; it returns an outcome.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractDiff } from '../agents/diff.ts';
import { launchFor } from '../agents/launch.ts';
import { renderPrompt } from '../agents/prompt.ts';
import type { AgentDefinition } from '../config/agents.ts';
import type { Logger } from '../log/logger.ts';
import type { Redactor } from '../log/redact.ts';
import type { DiffStat, IssueSnapshot, RepoRef } from '../store/records.ts';
import { gitIn, identityEnvironment, tokenEnvironment, type GitIdentity } from './git.ts';
import { runProcess, type ProcessResult } from './process.ts';
import { SWITCHYARD_DIR, type PreparedWorktree, type RepoCache } from './repo-cache.ts';

export interface RunRequest {
  runId: string;
  repo: RepoRef;
  issue: IssueSnapshot;
  agentName: string;
  agent: AgentDefinition;
  branch: string;
  /** The branch to start from: the default branch, or a dependency's branch for a stacked run. */
  base: string;
  /** Installation token for fetch and push; handed to git only. */
  token: string;
  signal?: AbortSignal;
  log: Logger;
}

export type TerminalState = 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

export interface RunOutcome {
  state: TerminalState;
  /** Why the run did not succeed, in a sentence for the status comment. */
  reason: string | undefined;
  /** The agent changed files and they were committed. */
  changed: boolean;
  /** The branch was pushed (also for a failed run that changed files: work is never thrown away). */
  pushed: boolean;
  baseSha: string | undefined;
  commitSha: string | undefined;
  diffStat: DiffStat | undefined;
  agentMs: number;
  /** The last lines of the agent's output, redacted. */
  logTail: string;
}

export interface RunnerOptions {
  cache: RepoCache;
  identity: GitIdentity;
  redactor: Redactor;
}

const LOG_TAIL_LINES = 40;

export class Runner {
  readonly #cache: RepoCache;
  readonly #identity: GitIdentity;
  readonly #redactor: Redactor;

  constructor(options: RunnerOptions) {
    this.#cache = options.cache;
    this.#identity = options.identity;
    this.#redactor = options.redactor;
  }

  async execute(request: RunRequest): Promise<RunOutcome> {
    const { log } = request;
    const outcome: RunOutcome = {
      state: 'failed',
      reason: undefined,
      changed: false,
      pushed: false,
      baseSha: undefined,
      commitSha: undefined,
      diffStat: undefined,
      agentMs: 0,
      logTail: '',
    };
    let worktree: PreparedWorktree | undefined;
    const privateDir = join(this.#cache.root, 'runs', request.runId);
    try {
      try {
        worktree = await this.#cache.prepare({ repo: request.repo, token: request.token, runId: request.runId, branch: request.branch, base: request.base });
      } catch (error) {
        outcome.reason = `Could not prepare a worktree of ${request.repo.fullName}: ${firstLine(error)}`;
        return outcome;
      }
      outcome.baseSha = worktree.baseSha;
      log.info({ worktree: worktree.path, base: worktree.baseSha }, 'worktree ready');

      const agentResult = await this.#runAgent(request, worktree, privateDir);
      outcome.agentMs = Math.round(agentResult.durationMs);
      outcome.logTail = this.#tail(agentResult.outputTail);
      Object.assign(outcome, judge(request, agentResult));
      log.info({ state: outcome.state, agentMs: outcome.agentMs, exitCode: agentResult.exitCode }, 'agent finished');

      await this.#commitAndPush(request, worktree, outcome);
      if (outcome.state === 'succeeded' && !outcome.changed) outcome.reason = 'The agent finished without changing any file.';
      return outcome;
    } finally {
      if (worktree) await this.#cache.remove(request.repo, worktree).catch((error: unknown) => log.error({ err: error }, 'could not remove worktree'));
      await rm(privateDir, { recursive: true, force: true });
    }
  }

  async #runAgent(request: RunRequest, worktree: PreparedWorktree, privateDir: string): Promise<ProcessResult> {
    const dir = join(worktree.path, SWITCHYARD_DIR);
    const home = join(privateDir, 'home');
    await mkdir(dir, { recursive: true });
    await mkdir(home, { recursive: true });
    const files = { promptFile: join(dir, 'prompt.md'), issueFile: join(dir, 'issue.md'), diffFile: join(dir, 'issue.diff') };
    await writeFile(files.promptFile, renderPrompt({ repo: request.repo, issue: request.issue, branch: worktree.branch }));
    await writeFile(files.issueFile, request.issue.body);

    if (request.agent.kind === 'patch') {
      const extraction = extractDiff(request.issue.body);
      if (!extraction.ok) return notStarted(extraction.problem);
      await writeFile(files.diffFile, extraction.diff);
    }
    const launch = launchFor(request.agent, {
      runId: request.runId,
      repo: request.repo.fullName,
      issueNumber: request.issue.number,
      issueTitle: request.issue.title,
      issueBody: request.issue.body,
      issueUrl: request.issue.url,
      branch: worktree.branch,
      worktree: worktree.path,
      home,
      ...files,
    });
    return runProcess(launch.argv, {
      cwd: worktree.path,
      env: launch.env,
      timeoutMs: request.agent.timeout,
      ...(request.signal ? { signal: request.signal } : {}),
    });
  }

  async #commitAndPush(request: RunRequest, worktree: PreparedWorktree, outcome: RunOutcome): Promise<void> {
    const git = gitIn(worktree.path, identityEnvironment(this.#identity));
    await git.raw(['add', '--all']);
    const staged = (await git.raw(['diff', '--cached', '--name-only'])).trim();
    if (!staged) return;
    await git.raw(['commit', '--quiet', '--no-verify', '-m', commitMessage(request, outcome.state)]);
    outcome.changed = true;
    outcome.commitSha = (await git.raw(['rev-parse', 'HEAD'])).trim();
    outcome.diffStat = await diffStat(worktree);
    const push = gitIn(worktree.path, tokenEnvironment(request.token));
    try {
      await push.raw(['push', '--force', '--quiet', 'origin', `HEAD:refs/heads/${worktree.branch}`]);
      outcome.pushed = true;
    } catch (error) {
      outcome.state = 'failed';
      outcome.reason = `Could not push branch ${worktree.branch}: ${this.#redactor.redact(firstLine(error))}`;
    }
  }

  #tail(output: string): string {
    const lines = this.#redactor.redact(output).replace(/\r/g, '').split('\n');
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-LOG_TAIL_LINES).join('\n');
  }
}

function notStarted(problem: string): ProcessResult {
  return { exitCode: undefined, signal: undefined, timedOut: false, cancelled: false, startError: problem, durationMs: 0, outputTail: '' };
}

function judge(request: RunRequest, result: ProcessResult): Pick<RunOutcome, 'state' | 'reason'> {
  const seconds = (result.durationMs / 1000).toFixed(1);
  if (result.timedOut) return { state: 'timed_out', reason: `The agent did not finish within ${Math.round(request.agent.timeout / 1000)} s and was stopped.` };
  if (result.cancelled) return { state: 'cancelled', reason: `The run was cancelled after ${seconds} s.` };
  if (result.startError) return { state: 'failed', reason: result.startError };
  if (result.exitCode !== 0) {
    if (request.agent.kind === 'patch') {
      const cause = result.outputTail.split('\n').find((line) => line.startsWith('error:')) ?? 'git apply failed';
      return { state: 'failed', reason: `The diff in the issue body does not apply: ${cause}` };
    }
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${String(result.exitCode)}`;
    return { state: 'failed', reason: `The ${request.agentName} agent ${how}.` };
  }
  return { state: 'succeeded', reason: undefined };
}

/** A Conventional Commit subject for the issue, with the issue reference and the run in the body. */
export function commitMessage(request: Pick<RunRequest, 'issue' | 'agentName' | 'runId'>, state: TerminalState): string {
  const type = request.issue.labels.some((l) => /^(bug|type:\s*bug|kind\/bug)$/i.test(l)) ? 'fix' : 'feat';
  const title = request.issue.title.replace(/\s+/g, ' ').trim();
  const subject = `${type}: ${title.length > 60 ? `${title.slice(0, 59).trimEnd()}…` : title} (#${request.issue.number})`;
  const status = state === 'succeeded' ? '' : `\nWork in progress: the run ended ${state.replace('_', ' ')}.\n`;
  return `${subject}\n${status}\nCloses #${request.issue.number}\n\nSwitchyard-Run: ${request.runId}\nSwitchyard-Agent: ${request.agentName}\n`;
}

async function diffStat(worktree: PreparedWorktree): Promise<DiffStat> {
  const git = gitIn(worktree.path);
  const numstat = await git.raw(['diff', '--numstat', worktree.baseSha, 'HEAD']);
  let insertions = 0;
  let deletions = 0;
  let files = 0;
  for (const line of numstat.split('\n').filter(Boolean)) {
    const [added, removed] = line.split('\t');
    insertions += Number(added) || 0;
    deletions += Number(removed) || 0;
    files += 1;
  }
  const text = (await git.raw(['diff', '--stat=72', worktree.baseSha, 'HEAD'])).trimEnd();
  return { files, insertions, deletions, text };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').find((line) => line.trim()) ?? message;
}
