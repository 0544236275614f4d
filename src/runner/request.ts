/** What the runner is asked to do for one run. */
import type { ResourceLimits } from '../domain/limits.ts';
import type { AgentDefinition } from '../config/agents.ts';
import type { IssueSnapshot, PromptComment, RepoRef } from '../domain/run.ts';
import type { Logger } from '../log/logger.ts';
import type { RunBudget } from '../scheduler/budget.ts';

export interface RunRequest {
  runId: string;
  repo: RepoRef;
  issue: IssueSnapshot;
  agentName: string;
  agent: AgentDefinition;
  branch: string;
  /** The branch to start from: the default branch, or a dependency's branch for a stacked run. */
  base: string;
  /**
   * A commit to build on instead of the base's tip: the head of the issue's pull request, for a
   * round that fixes its failing checks. The run's commit follows it, and is pushed only while
   * the branch is still there.
   */
  startFrom?: string | undefined;
  /** Installation token for fetch and push: only Switchyard's own git processes get it, never while the agent runs. */
  token: string;
  attempt: number;
  /** The agent's time limit: the operator's, or lower where the repository says so. */
  timeoutMs: number;
  /** No output and no changed file for this long ends the agent as stalled (unset: never). */
  stallMs?: number | undefined;
  /** Memory, processes, CPU and output of the agent, and of each check (defaults: `DEFAULT_LIMITS`). */
  limits?: ResourceLimits | undefined;
  /** The most the run may cost: the agent is stopped, its work kept, when it reports more. */
  budget?: RunBudget | undefined;
  /** Every piece of the run's log (the agent's and the checks' output, Switchyard's notes), redacted. */
  onLog?: ((text: string) => void) | undefined;
  /** The agent's newest line of output (redacted), at most every few seconds: its progress. */
  onProgress?: ((line: string) => void) | undefined;
  checks: { commands: readonly string[]; timeoutMs: number };
  /** Reuse up to this many warm worktrees (0: a fresh worktree per run). */
  poolSize: number;
  /** What a reused worktree keeps between runs. */
  keep: readonly string[];
  /** Comments of people with write access, for the prompt. */
  comments?: readonly PromptComment[];
  /** Prompt additions: the operator's, the repository's `prompt`, then the label's. */
  promptAdditions?: readonly string[];
  /** Ends the agent (and the checks) when aborted: a cancel. */
  signal?: AbortSignal;
  log: Logger;
}
