/**
 * How an agent is started: its argv and its environment. The environment is an allow-list — the
 * basics a program needs, the run's context, and what the operator configured for that agent —
 * so Switchyard's credentials and the installation token never reach it.
 */
import type { AgentDefinition } from '../config/agents.ts';
import { PRESETS, type AgentOutput } from './presets.ts';

export interface LaunchContext {
  runId: string;
  repo: string;
  issueNumber: number;
  issueTitle: string;
  issueBody: string;
  issueUrl: string;
  branch: string;
  worktree: string;
  home: string;
  promptFile: string;
  issueFile: string;
  diffFile: string;
  summaryFile: string;
  /** The run's budget in US dollars, for an agent that can stop itself there. */
  maxCostUsd?: number | undefined;
}

export interface Launch {
  argv: string[];
  env: Record<string, string>;
  /** A file given to the agent as its standard input. */
  stdinFile?: string | undefined;
  /** Where the agent's final message is found, for the pull request's summary. */
  summary?: { from: 'stdout' } | { from: 'file'; path: string } | undefined;
  /** How standard output reports the run: plain text, or an agent's JSON result. */
  output?: AgentOutput | undefined;
  /** Files to write into the agent's private home first (relative paths). */
  homeFiles?: Record<string, string> | undefined;
}

/** An environment variable holds at most 128 KiB on Linux; larger bodies go by file only. */
export const MAX_BODY_IN_ENV = 64 * 1024;

export function launchFor(
  agent: AgentDefinition,
  context: LaunchContext,
  ambient: NodeJS.ProcessEnv = process.env,
): Launch {
  const bodyFits = Buffer.byteLength(context.issueBody) <= MAX_BODY_IN_ENV;
  const env: Record<string, string> = {
    PATH: ambient.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: context.home,
    LANG: ambient.LANG ?? 'C.UTF-8',
    TERM: 'dumb',
    CI: 'true',
    SWITCHYARD_RUN_ID: context.runId,
    SWITCHYARD_REPOSITORY: context.repo,
    SWITCHYARD_ISSUE_NUMBER: String(context.issueNumber),
    SWITCHYARD_ISSUE_TITLE: context.issueTitle,
    SWITCHYARD_ISSUE_URL: context.issueUrl,
    SWITCHYARD_ISSUE_BODY_FILE: context.issueFile,
    SWITCHYARD_PROMPT_FILE: context.promptFile,
    SWITCHYARD_BRANCH: context.branch,
    SWITCHYARD_WORKTREE: context.worktree,
    ...(bodyFits ? { SWITCHYARD_ISSUE_BODY: context.issueBody } : { SWITCHYARD_ISSUE_BODY_TRUNCATED: '1' }),
  };
  const preset = agent.kind === 'patch' || agent.kind === 'command' ? undefined : PRESETS[agent.kind];
  // A preset's credential variables pass through unless the operator chose the list.
  const passEnv = agent.passEnv.length > 0 || !preset ? agent.passEnv : preset.env;
  for (const name of passEnv) {
    const value = ambient[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, agent.env);

  if (agent.kind === 'patch') {
    return { argv: ['git', 'apply', '--verbose', '--whitespace=nowarn', context.diffFile], env };
  }
  if (agent.kind === 'command') return { argv: agent.command, env };
  const launch = PRESETS[agent.kind].launch(
    { promptFile: context.promptFile, summaryFile: context.summaryFile },
    { model: agent.model, args: agent.args, executable: agent.executable, maxCostUsd: context.maxCostUsd },
  );
  // The preset's fixed variables first: what the operator configured wins.
  return {
    argv: launch.argv,
    env: { ...launch.env, ...env },
    stdinFile: launch.stdinFile,
    summary: launch.summary,
    output: launch.output,
    homeFiles: launch.homeFiles,
  };
}
