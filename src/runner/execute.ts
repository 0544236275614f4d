/**
 * One run, start to finish: worktree from the mirror, agent process, commit, push, cleanup.
 * The runner knows nothing about webhooks or comments; it returns an outcome.
 */
import { DEFAULT_LIMITS } from '../domain/limits.ts';
import { StepClock } from '../domain/steps.ts';
import type { CgroupSupport } from './limits.ts';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { extractDiff } from '../agents/diff.ts';
import { reportReader, type AgentReport, type ReportReader } from '../agents/report.ts';
import { overBudgetReason } from '../scheduler/budget.ts';
import { launchFor, type Launch, type LaunchContext } from '../agents/launch.ts';
import type { Redactor } from '../log/redact.ts';
import type { GitIdentity } from './git.ts';
import { runChecks } from './checks.ts';
import { failedOutcome, type RunOutcome } from '../domain/outcome.ts';
import { judge, notStarted } from './judge.ts';
import { runProcess, type ProcessResult } from './process.ts';
import { SWITCHYARD_DIR, type PreparedWorktree, type RepoCache } from './repo-cache.ts';
import { forgetOwner, recordOwner } from './orphans.ts';
import { RunLog } from './run-log.ts';
import { readInside } from './safe-read.ts';
import { blockedSentence, startRunEgress, type EgressProxy } from './egress-proxy.ts';
import { grantPaths, handOver, sandboxed, type Egress, type SandboxSpec } from './sandbox.ts';
import { writeAgentFiles } from './agent-files.ts';
import type { RunRequest } from './request.ts';
import { commitAndPush, firstLine } from './publish.ts';

export interface RunnerOptions {
  cache: RepoCache;
  identity: GitIdentity;
  redactor: Redactor;
  sandbox: SandboxSpec;
  /** How long an agent gets between SIGTERM and SIGKILL. */
  graceMs?: number;
  /** Where this machine lets Switchyard make a cgroup per process tree (found at the worker's start). */
  cgroups?: CgroupSupport;
}

const LOG_TAIL_LINES = 40;
/** The longest agent summary carried into a pull request body. */
const MAX_SUMMARY = 4_000;

export class Runner {
  readonly #cache: RepoCache;
  readonly #identity: GitIdentity;
  readonly #redactor: Redactor;
  readonly #sandbox: SandboxSpec;
  readonly #graceMs: number;
  readonly #cgroups: CgroupSupport;

  constructor(options: RunnerOptions) {
    this.#graceMs = options.graceMs ?? 5_000;
    this.#cgroups = options.cgroups ?? { kind: 'none', why: 'not looked for' };
    this.#cache = options.cache;
    this.#identity = options.identity;
    this.#redactor = options.redactor;
    this.#sandbox = options.sandbox;
  }

  async execute(request: RunRequest): Promise<RunOutcome> {
    const { log } = request;
    const outcome = failedOutcome(undefined);
    const clock = new StepClock();
    let worktree: PreparedWorktree | undefined;
    let proxy: EgressProxy | undefined;
    let egress: Egress | undefined;
    const privateDir = join(this.#cache.root, 'runs', request.runId);
    const runLog = new RunLog(
      join(this.#cache.root, 'logs', `${request.runId}.log`),
      this.#redactor,
      undefined,
      request.onLog,
    );
    outcome.logFile = runLog.path;
    try {
      try {
        worktree = await this.#cache.prepare({
          repo: request.repo,
          token: request.token,
          runId: request.runId,
          branch: request.branch,
          base: request.base,
          startFrom: request.startFrom,
          poolSize: request.poolSize,
          clock,
        });
      } catch (error) {
        outcome.reason = `Could not prepare a worktree of ${request.repo.fullName}: ${firstLine(error)}`;
        return outcome;
      }
      const ready = worktree;
      outcome.baseSha = ready.baseSha;
      log.info({ worktree: ready.path, base: ready.baseSha }, 'worktree ready');

      const setupStarted = performance.now();
      const home = join(privateDir, 'home');
      await mkdir(home, { recursive: true });
      const paths = {
        worktree: worktree.path,
        home,
        mirror: this.#cache.mirrorDir(request.repo),
        worktreeGitDir: worktree.gitDir,
      };
      const network = request.agent.network ?? this.#sandbox.network ?? 'open';
      if (this.#sandbox.kind !== 'none' && typeof network === 'object')
        ({ proxy, egress } = await startRunEgress(home, network.allow, this.#sandbox.user));
      const wrap = (argv: readonly string[]) => sandboxed(this.#sandbox, paths, argv, network, egress);

      // One launch per run: the agent's argv and environment, which the checks share.
      const context = this.#launchContext(request, worktree, home);
      const launch = launchFor(request.agent, context);
      for (const [relative, text] of Object.entries(launch.homeFiles ?? {})) {
        await mkdir(dirname(join(home, relative)), { recursive: true });
        await writeFile(join(home, relative), text);
      }
      await grantPaths(this.#sandbox, paths);
      if (this.#sandboxUser()) await this.#cache.refreshTrustedIndex(request.repo, ready);
      runLog.note(`agent ${request.agentName}, attempt ${request.attempt}`);
      const reader = reportReader(launch.output);
      const overBudget = new AbortController();
      clock.add('setup', performance.now() - setupStarted);
      const agentResult = await clock.time('agent', () =>
        this.#runAgent(request, ready, context, launch, wrap, runLog, reader, overBudget),
      );
      const report = reader.report(agentResult.stdoutTail);
      outcome.usage = report?.usage;
      outcome.summary = await this.#summary(launch, agentResult, report);
      outcome.agentMs = Math.round(agentResult.durationMs);
      outcome.logTail = this.#tail(agentResult.outputTail);
      Object.assign(outcome, judge(request, agentResult));
      // Stopped by its budget: killed here when the cost it reported passed it, or stopped itself there.
      if (request.budget && !request.signal?.aborted && (overBudget.signal.aborted || report?.overBudget)) {
        Object.assign(outcome, {
          state: 'failed',
          reason: overBudgetReason(request.budget, report?.usage?.costUsd ?? reader.costSoFar()),
        });
      }
      log.info({ state: outcome.state, agentMs: outcome.agentMs, exitCode: agentResult.exitCode }, 'agent finished');

      if (outcome.state === 'succeeded' && request.checks.commands.length > 0) {
        outcome.checks = await clock.time('checks', () =>
          runChecks(request.checks.commands, {
            cwd: ready.path,
            env: launch.env,
            timeoutMs: request.checks.timeoutMs,
            graceMs: this.#graceMs,
            wrap,
            user: this.#sandboxUser(),
            limits: {
              values: request.limits ?? DEFAULT_LIMITS,
              support: this.#cgroups,
              name: `${request.runId}-check`,
            },
            onOutput: (text) => runLog.write(text),
            onStart: (command) => runLog.note(`check: ${command}`),
            ...(request.signal ? { signal: request.signal } : {}),
          }),
        );
        if (request.signal?.aborted)
          Object.assign(outcome, { state: 'cancelled', reason: 'The run was cancelled while its checks ran.' });
      }

      if (proxy) {
        const blocked = proxy.blocked();
        outcome.blocked = blocked.map((b) => b.destination);
        outcome.reason = [outcome.reason, blockedSentence(blocked)].filter(Boolean).join(' ') || undefined;
      }
      // Other limits keep the work as a timeout does; a worktree that filled up holds what nobody
      // wants pushed (GitHub refuses a push over 2 GiB, and the mirror would keep it).
      if (agentResult.limit === 'worktree') outcome.reason = `${outcome.reason ?? ''} Its files were not committed.`;
      else
        await commitAndPush(
          { cache: this.#cache, identity: this.#identity, redactor: this.#redactor },
          request,
          worktree,
          privateDir,
          outcome,
          clock,
        );
      if (outcome.state === 'succeeded' && !outcome.changed)
        outcome.reason = 'The agent finished without changing any file.';
      return outcome;
    } finally {
      await proxy?.close();
      runLog.close();
      if (worktree) {
        const given = worktree;
        await clock
          .time('release', () => this.#cache.release(request.repo, given, request.keep))
          .catch((error: unknown) => log.error({ err: error }, 'could not release worktree'));
      }
      outcome.steps = clock.timings;
      await rm(privateDir, { recursive: true, force: true });
      forgetOwner(privateDir);
    }
  }

  #launchContext(request: RunRequest, worktree: PreparedWorktree, home: string): LaunchContext {
    const dir = join(worktree.path, SWITCHYARD_DIR);
    return {
      runId: request.runId,
      repo: request.repo.fullName,
      issueNumber: request.issue.number,
      issueTitle: request.issue.title,
      issueBody: request.issue.body,
      issueUrl: request.issue.url,
      branch: worktree.branch,
      worktree: worktree.path,
      home,
      promptFile: join(dir, 'prompt.md'),
      summaryFile: join(dir, 'summary.md'),
      issueFile: join(dir, 'issue.md'),
      diffFile: join(dir, 'issue.diff'),
      maxCostUsd: request.budget?.maxCostUsd,
    };
  }

  async #runAgent(
    request: RunRequest,
    worktree: PreparedWorktree,
    context: LaunchContext,
    launch: Launch,
    wrap: (argv: readonly string[]) => string[],
    runLog: RunLog,
    reader: ReportReader,
    overBudget: AbortController,
  ): Promise<ProcessResult> {
    const home = context.home;
    await writeAgentFiles(request, worktree, context);
    if (request.agent.kind === 'patch') {
      const extraction = extractDiff(request.issue.body);
      if (!extraction.ok) return notStarted(extraction.problem);
      await writeFile(context.diffFile, extraction.diff);
    }
    // Written after the worktree was handed to the sandbox's account: the agent writes its summary here.
    await handOver(this.#sandbox, [join(worktree.path, SWITCHYARD_DIR)]);
    const groups: number[] = [];
    recordOwner(dirname(home), groups);
    return runProcess(wrap(launch.argv), {
      cwd: worktree.path,
      env: launch.env,
      timeoutMs: request.timeoutMs,
      graceMs: this.#graceMs,
      onOutput: (text) => runLog.write(text),
      onStdout: (text) => {
        reader.push(text);
        const spent = reader.costSoFar();
        if (request.budget && spent !== undefined && spent > request.budget.maxCostUsd)
          overBudget.abort(new Error('over budget'));
      },
      onSpawn: (pid) => {
        groups.push(pid);
        recordOwner(dirname(home), groups);
      },
      stdinFile: launch.stdinFile,
      user: this.#sandboxUser(),
      stallMs: request.stallMs,
      onProgress: request.onProgress ? (line) => request.onProgress?.(this.#redactor.redact(line)) : undefined,
      killNow: overBudget.signal,
      limits: { values: request.limits ?? DEFAULT_LIMITS, support: this.#cgroups, name: request.runId },
      ...(request.signal ? { signal: request.signal } : {}),
    });
  }

  /** The account agents and checks run as, when the sandbox names one. */
  #sandboxUser(): { uid: number; gid: number } | undefined {
    return this.#sandbox.kind === 'none' ? undefined : this.#sandbox.user;
  }

  /** The agent's final message, where its preset says to find it. */
  async #summary(
    { summary }: Launch,
    result: ProcessResult,
    report: AgentReport | undefined,
  ): Promise<string | undefined> {
    if (!summary || result.exitCode !== 0) return undefined;
    const fromOutput = report ? (report.summary ?? '') : result.stdoutTail;
    const text =
      summary.from === 'stdout'
        ? fromOutput
        : ((await readInside(dirname(dirname(summary.path)), summary.path, MAX_SUMMARY * 4))?.toString('utf8') ?? '');
    const clean = this.#redactor.redact(text).trim();
    if (!clean) return undefined;
    return clean.length > MAX_SUMMARY ? `${clean.slice(0, MAX_SUMMARY)}…` : clean;
  }

  #tail(output: string): string {
    const lines = this.#redactor.redact(output).replace(/\r/g, '').split('\n');
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-LOG_TAIL_LINES).join('\n');
  }
}
