/** The run record: what a run is, as the rest of Switchyard sees it (its row is the store's). */
import type { CiChecks } from './ci-checks.ts';
import type { Mergeability } from './mergeability.ts';
import type { StepTimings } from './steps.ts';

/** Tokens, turns and cost, as an agent reported them. */
export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  /** Conversation turns, where the agent counts them. */
  turns?: number | undefined;
  /** In US dollars, at the provider's list price, where the agent reports it. */
  costUsd?: number | undefined;
}

export type RunState =
  | 'queued'
  | 'waiting'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'stalled'
  /** Stopped for going past one of its resource limits (memory, processes, output, worktree). */
  | 'over_limit'
  | 'cancelled';

/** A run that has ended: it stays in this state. */
export type TerminalState = Exclude<RunState, 'queued' | 'waiting' | 'running'>;

export const LIVE_STATES: readonly RunState[] = ['queued', 'waiting', 'running'];

export interface RepoRef {
  owner: string;
  name: string;
  /** `owner/name` */
  fullName: string;
  cloneUrl: string;
  defaultBranch: string;
  /** The repository's `pushed_at` when the trigger arrived: a cached config is valid while it holds. */
  pushedAt?: string | undefined;
}

export interface IssueSnapshot {
  number: number;
  title: string;
  body: string;
  labels: string[];
  url: string;
  author: string;
  /** Comments on the issue when the trigger arrived (GitHub's count); 0 spares listing them. */
  comments?: number | undefined;
  /** Issues blocking this one per GitHub's issue dependencies, when the payload said; 0 spares asking. */
  blockedBy?: number | undefined;
}

/** A comment of someone with write access, given to the agent with the issue. */
export interface PromptComment {
  author: string;
  body: string;
}

/** The check results of a run, as the status comment shows them. */
export interface CheckRecord {
  command: string;
  passed: boolean;
  timedOut: boolean;
  durationMs: number;
}

/** One check as it ran: the record, with the command's exit code. */
export interface CheckResult extends CheckRecord {
  exitCode: number | undefined;
}

/** What happened to a run's pull request after it was opened. */
export type PullRequestState = 'open' | 'merged' | 'closed';

/** What a trigger said, kept with the run so that a worker needs nothing else. */
export interface RunTrigger {
  deliveryId: string;
  installationId: number;
  sender: string;
  label: string;
  agent: string;
  repo: RepoRef;
  issue: IssueSnapshot;
  /**
   * `label`: an `agent:*` label; `retry`: an `/agent retry` comment, which may open a new pull
   * request where an earlier one was closed without merging; `repair`: Switchyard itself, to
   * resolve a conflict of the issue's open pull request with its base; `checks`: Switchyard itself,
   * to fix the checks that failed on the head of the issue's open pull request.
   */
  kind?: 'label' | 'retry' | 'repair' | 'checks' | undefined;
}

export interface DiffStat {
  files: number;
  insertions: number;
  deletions: number;
  /** `git diff --stat` as text, for the pull request body. */
  text: string;
}

export interface RunRecord {
  id: string;
  repo: string;
  issueNumber: number;
  installationId: number;
  agent: string;
  state: RunState;
  attempt: number;
  branch: string;
  trigger: RunTrigger;
  commentId: number | null;
  pullRequestNumber: number | null;
  pullRequestUrl: string | null;
  reason: string | null;
  logTail: string | null;
  diffStat: DiffStat | null;
  agentMs: number | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  batchId: string | null;
  priority: number;
  /** The branch the run starts from and its pull request targets; the default branch when null. */
  baseBranch: string | null;
  /** Why the scheduler holds the run, while it waits. */
  waitingReason: string | null;
  /** When the scheduler handed the run to the job queue. */
  dispatchedAt: Date | null;
  /** The issues the run depended on when it was last planned. */
  dependsOn: number[];
  /** Dependencies the scheduler cannot follow (other repositories). */
  foreignDependencies: string[];
  /** When the dependencies were read from the issue and GitHub; they are read once per run. */
  dependenciesReadAt: Date | null;
  /** `.github/switchyard.yml` as read when the trigger arrived (validated); planner and worker use it. */
  config: unknown;
  /** A run that did not succeed pushed its work to its branch. */
  keptBranch: boolean;
  pullRequestState: PullRequestState | null;
  /** Comments of people with write access, read at the trigger, for the prompt. */
  comments: PromptComment[];
  checks: CheckRecord[];
  /** The agent's newest line of output while it runs (redacted). */
  progress: string | null;
  /** Where the work of an interrupted attempt was pushed, when there was any. */
  rescuedBranch: string | null;
  /** Tokens, turns and cost, as the agent reported them. */
  usage: AgentUsage | null;
  /** What the agent said it did (its final message, redacted and shortened). */
  summary: string | null;
  /** The commit Switchyard last pushed to the branch: a different head means a person pushed. */
  headSha: string | null;
  /** Agent re-runs spent on conflicts of the issue's pull request, this one included. */
  repairs: number;
  /** The pull request against its base, as Switchyard last checked it. */
  mergeability: Mergeability | null;
  /** How long each step of the run took, once it ended. */
  steps: StepTimings | null;
  /** Rounds of fixes spent on failing checks of the issue's pull request, this one included. */
  checkRounds: number;
  /** The pull request's CI as Switchyard last read it, and the rounds of fixes so far. */
  ciChecks: CiChecks | null;
  /** The commit the run starts from instead of its base: the pull request's head, for a round of fixes. */
  startFrom: string | null;
}

export interface RunOutcomeFields {
  state: TerminalState;
  reason?: string | null;
  logTail?: string | null;
  diffStat?: DiffStat | null;
  agentMs?: number | null;
  pullRequestNumber?: number | null;
  pullRequestUrl?: string | null;
  /** The commit Switchyard pushed to the run's branch. */
  headSha?: string | null;
  /** What became of the pull request already, when not `open` (a repair's, merged while it ran). */
  pullRequestState?: PullRequestState | undefined;
  keptBranch?: boolean;
  usage?: AgentUsage | null;
  summary?: string | null;
  /** How long each step of the run took. */
  steps?: StepTimings | null;
}
