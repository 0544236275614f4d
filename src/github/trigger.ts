/**
 * From an `issues.labeled` payload to a trigger, or to the reason it is not one. Pure: the
 * decisions that need GitHub (permission) or replies (unknown agent) happen in the intake job.
 */
import type { IssueSnapshot, RepoRef, RunTrigger } from '../domain/run.ts';

export const AGENT_LABEL_PREFIX = 'agent:';

export type TriggerParse = { kind: 'trigger'; trigger: RunTrigger } | { kind: 'ignore'; why: string };

/** The subset of GitHub's `issues.labeled` payload Switchyard reads. */
export interface LabeledPayload {
  label?: { name: string } | undefined;
  sender: { login: string; type: string };
  installation?: { id: number } | undefined;
  repository: {
    name: string;
    full_name: string;
    clone_url: string;
    default_branch: string;
    owner: { login: string };
    pushed_at?: string | number | null | undefined;
  };
  issue: {
    number: number;
    title: string;
    body?: string | null | undefined;
    html_url: string;
    user: { login: string } | null;
    labels?: Array<{ name: string } | string> | undefined;
    pull_request?: unknown;
    comments?: number | undefined;
    issue_dependencies_summary?: { total_blocked_by: number } | undefined;
  };
}

/** The agent a label names, or `undefined` when it is not an `agent:*` label. */
export function agentOfLabel(label: string): string | undefined {
  if (!label.toLowerCase().startsWith(AGENT_LABEL_PREFIX)) return undefined;
  const name = label.slice(AGENT_LABEL_PREFIX.length).trim().toLowerCase();
  return name || undefined;
}

export function parseTrigger(payload: LabeledPayload, deliveryId: string): TriggerParse {
  const label = payload.label?.name;
  const agent = label ? agentOfLabel(label) : undefined;
  if (!label || !agent) return { kind: 'ignore', why: 'not an agent label' };
  if (payload.sender.type === 'Bot') return { kind: 'ignore', why: `label added by bot ${payload.sender.login}` };
  if (payload.issue.pull_request) return { kind: 'ignore', why: 'agent labels on pull requests are not triggers' };
  if (!payload.installation) return { kind: 'ignore', why: 'delivery without an installation' };
  return {
    kind: 'trigger',
    trigger: {
      deliveryId,
      installationId: payload.installation.id,
      sender: payload.sender.login,
      label,
      agent,
      ...snapshotOf(payload),
      kind: 'label',
    },
  };
}

/** The repository and issue of an issue event, as a run keeps them. */
export function snapshotOf({ repository, issue }: Pick<LabeledPayload, 'repository' | 'issue'>): {
  repo: RepoRef;
  issue: IssueSnapshot;
} {
  return {
    repo: {
      owner: repository.owner.login,
      name: repository.name,
      fullName: repository.full_name,
      cloneUrl: repository.clone_url,
      defaultBranch: repository.default_branch,
      pushedAt:
        repository.pushed_at === null || repository.pushed_at === undefined ? undefined : String(repository.pushed_at),
    },
    issue: {
      number: issue.number,
      title: issue.title,
      body: issue.body ?? '',
      labels: (issue.labels ?? []).map((l) => (typeof l === 'string' ? l : l.name)),
      url: issue.html_url,
      author: issue.user?.login ?? 'ghost',
      comments: issue.comments,
      blockedBy: issue.issue_dependencies_summary?.total_blocked_by,
    },
  };
}
