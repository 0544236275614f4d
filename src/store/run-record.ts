/** The run record: what a run is, as the rest of Switchyard sees it, and its row in the database. */
import type { AgentUsage } from '../agents/report.ts';
export type RunState =
  'queued' | 'waiting' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'stalled' | 'cancelled';

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
   * request where an earlier one was closed without merging.
   */
  kind?: 'label' | 'retry' | undefined;
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
}

export interface RunOutcomeFields {
  state: Exclude<RunState, 'queued' | 'waiting' | 'running'>;
  reason?: string | null;
  logTail?: string | null;
  diffStat?: DiffStat | null;
  agentMs?: number | null;
  pullRequestNumber?: number | null;
  pullRequestUrl?: string | null;
  keptBranch?: boolean;
  usage?: AgentUsage | null;
  summary?: string | null;
}

export interface RunRow {
  id: string;
  repo: string;
  issue_number: number;
  installation_id: string | number;
  agent: string;
  state: RunState;
  attempt: number;
  branch: string;
  trigger: RunTrigger;
  comment_id: string | number | null;
  pull_request_number: number | null;
  pull_request_url: string | null;
  reason: string | null;
  log_tail: string | null;
  diff_stat: DiffStat | null;
  agent_ms: number | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  batch_id: string | null;
  priority: number;
  base_branch: string | null;
  waiting_reason: string | null;
  dispatched_at: Date | null;
  depends_on: number[] | null;
  foreign_dependencies: string[] | null;
  dependencies_read_at: Date | null;
  config: unknown;
  kept_branch: boolean | null;
  pull_request_state: PullRequestState | null;
  comments: PromptComment[] | null;
  checks: CheckRecord[] | null;
  progress: string | null;
  rescued_branch: string | null;
  usage: AgentUsage | null;
  summary: string | null;
}

export function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    repo: row.repo,
    issueNumber: row.issue_number,
    installationId: Number(row.installation_id),
    agent: row.agent,
    state: row.state,
    attempt: row.attempt,
    branch: row.branch,
    trigger: row.trigger,
    commentId: row.comment_id === null ? null : Number(row.comment_id),
    pullRequestNumber: row.pull_request_number,
    pullRequestUrl: row.pull_request_url,
    reason: row.reason,
    logTail: row.log_tail,
    diffStat: row.diff_stat,
    agentMs: row.agent_ms,
    createdAt: new Date(row.created_at),
    startedAt: row.started_at ? new Date(row.started_at) : null,
    finishedAt: row.finished_at ? new Date(row.finished_at) : null,
    batchId: row.batch_id,
    priority: row.priority,
    baseBranch: row.base_branch,
    waitingReason: row.waiting_reason,
    dispatchedAt: row.dispatched_at ? new Date(row.dispatched_at) : null,
    dependsOn: row.depends_on ?? [],
    foreignDependencies: row.foreign_dependencies ?? [],
    dependenciesReadAt: row.dependencies_read_at ? new Date(row.dependencies_read_at) : null,
    config: row.config ?? null,
    keptBranch: row.kept_branch ?? false,
    pullRequestState: row.pull_request_state ?? (row.pull_request_number === null ? null : 'open'),
    comments: row.comments ?? [],
    checks: row.checks ?? [],
    progress: row.progress ?? null,
    rescuedBranch: row.rescued_branch ?? null,
    usage: row.usage ?? null,
    summary: row.summary ?? null,
  };
}
