/** A run's row in `switchyard_runs`, and the run record it stands for. */
import type { CiChecks } from '../domain/ci-checks.ts';
import type { Mergeability } from '../domain/mergeability.ts';
import type { StepTimings } from '../domain/steps.ts';
import type {
  AgentUsage,
  CheckRecord,
  DiffStat,
  PromptComment,
  PullRequestState,
  RunRecord,
  RunState,
  RunTrigger,
} from '../domain/run.ts';

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
  head_sha: string | null;
  repairs: number | null;
  mergeability: Mergeability | null;
  steps: StepTimings | null;
  check_rounds: number | null;
  ci_checks: CiChecks | null;
  start_from: string | null;
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
    headSha: row.head_sha ?? null,
    repairs: row.repairs ?? 0,
    mergeability: row.mergeability ?? null,
    steps: row.steps ?? null,
    checkRounds: row.check_rounds ?? 0,
    ciChecks: row.ci_checks ?? null,
    startFrom: row.start_from ?? null,
  };
}
