/** The files that tell an agent (and a person looking at the worktree) what the run is about. */
import type { IssueSnapshot, RepoRef } from '../domain/run.ts';
import { stripHidden } from './untrusted.ts';

export interface RunContext {
  repository: string;
  issue: { number: number; title: string; url: string; labels: string[] };
  agent: string;
  runId: string;
  attempt: number;
  branch: string;
  baseBranch: string;
  baseCommit: string;
  worktree: string;
  /** When the agent will be stopped, ISO 8601. */
  deadline: string;
}

export type RunContextInput = Omit<RunContext, 'repository' | 'issue' | 'deadline'> & {
  repo: RepoRef;
  issue: IssueSnapshot;
  deadline: Date;
};

export function runContext(input: RunContextInput): RunContext {
  return {
    repository: input.repo.fullName,
    issue: {
      number: input.issue.number,
      title: stripHidden(input.issue.title),
      url: input.issue.url,
      labels: input.issue.labels,
    },
    agent: input.agent,
    runId: input.runId,
    attempt: input.attempt,
    branch: input.branch,
    baseBranch: input.baseBranch,
    baseCommit: input.baseCommit,
    worktree: input.worktree,
    deadline: input.deadline.toISOString(),
  };
}

export function contextMarkdown(context: RunContext): string {
  return [
    `# Switchyard run ${context.runId}`,
    '',
    `- Repository: ${context.repository}`,
    `- Issue: #${context.issue.number} ${context.issue.title} (${context.issue.url})`,
    `- Labels: ${context.issue.labels.join(', ') || 'none'}`,
    `- Agent: ${context.agent}, attempt ${context.attempt}`,
    `- Branch: ${context.branch}, from ${context.baseBranch} at ${context.baseCommit}`,
    `- Worktree: ${context.worktree}`,
    `- Deadline: ${context.deadline}`,
    '',
    'The task is in prompt.md next to this file. Edit files in the worktree; do not commit or push.',
    '',
  ].join('\n');
}
