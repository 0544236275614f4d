/** What the runner hands back when a run's agent, checks, commit and push are over. */
import type { AgentUsage, CheckResult, DiffStat, TerminalState } from './run.ts';
import type { StepTimings } from './steps.ts';

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
  /** What this run's own commit changed, when it built on the pull request's head (a round of fixes). */
  ownDiffStat?: DiffStat | undefined;
  agentMs: number;
  /** The last lines of the agent's output, redacted. */
  logTail: string;
  checks: CheckResult[];
  /** The run's full output, redacted and capped. */
  logFile: string | undefined;
  /** The agent's final message, redacted, for the pull request. */
  summary: string | undefined;
  /** Changed files left out of the commit (workflows). */
  refused: string[];
  /** Destinations (`host:port`) the egress proxy refused. */
  blocked: string[];
  /** Tokens, turns and cost, where the agent reports them. */
  usage?: AgentUsage | undefined;
  /** How long each step of the run took. */
  steps: StepTimings;
}

/** An outcome that records nothing but a failure and its reason; the runner fills in the rest. */
export function failedOutcome(reason: string | undefined): RunOutcome {
  return {
    state: 'failed',
    reason,
    changed: false,
    pushed: false,
    baseSha: undefined,
    commitSha: undefined,
    diffStat: undefined,
    agentMs: 0,
    logTail: '',
    checks: [],
    logFile: undefined,
    summary: undefined,
    refused: [],
    blocked: [],
    steps: {},
  };
}
