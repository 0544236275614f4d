/** The pull request of a run: one per issue branch, opened once and updated by later runs. */
import type { DiffStat, RepoRef } from '../store/records.ts';
import { renderTitle } from '../config/repo.ts';
import { repoParams, statusOf, type GitHubClient } from './client.ts';
import { checksTable, formatDuration, type CheckView } from './status-comment.ts';
import { stripInvisible } from '../agents/untrusted.ts';
import { describeUsage, type AgentUsage } from '../agents/report.ts';

export interface PullRequestInput {
  repo: RepoRef;
  issueNumber: number;
  issueTitle: string;
  /** The repository's title template (`{title}`, `{number}`, `{agent}`). */
  titleTemplate?: string;
  branch: string;
  /** The branch the pull request targets: the default branch, or a dependency's for a stacked run. */
  base: string;
  agent: string;
  attempt: number;
  durationMs: number;
  diffStat: DiffStat | undefined;
  summary: string;
  checks: readonly CheckView[];
  /** Sentences the reviewer should read (files left out, …). */
  notes?: readonly string[];
  /** Tokens, turns and cost, where the agent reported them. */
  usage?: AgentUsage | undefined;
  draft?: boolean;
}

export interface PullRequestRef {
  number: number;
  url: string;
  /** Opened by this call (false: an open one was updated). */
  created: boolean;
}

/** GitHub's limit on a pull request title. */
const MAX_TITLE = 256;

export function pullRequestTitle(issueTitle: string, template = '{title}', values: { number: number; agent: string } = { number: 0, agent: '' }): string {
  // Bidi controls could make a title read differently from what it says (Trojan Source).
  const clean = stripInvisible(issueTitle).replace(/\s+/g, ' ').trim() || 'Untitled issue';
  const title = renderTitle(template, { title: clean, ...values }).replace(/\s+/g, ' ').trim();
  return title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE - 1)}…` : title;
}

/**
 * An agent's summary is output that issue text may have steered: its @mentions are defused
 * (as Renovate does) so that it cannot ping people.
 */
export function defuseMentions(text: string): string {
  return text.replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, '$1@&#8203;');
}

export function pullRequestBody(input: PullRequestInput): string {
  const lines = [
    `Closes #${input.issueNumber}`,
    '',
    defuseMentions(input.summary),
    ...(input.notes ?? []).flatMap((note) => ['', `> [!NOTE]\n> ${note}`]),
    '',
    `Switchyard ran the \`${input.agent}\` agent on #${input.issueNumber} (attempt ${input.attempt}, ${formatDuration(input.durationMs)}).`,
  ];
  if (input.usage) lines.push('', `Usage: ${describeUsage(input.usage)}.`);
  if (input.checks.length > 0) lines.push('', checksTable(input.checks));
  if (input.diffStat) lines.push('', '```text', input.diffStat.text, '```');
  return `${lines.join('\n')}\n`;
}

/** Opens the branch's pull request, or updates the one already open for it (a retry). */
export async function openOrUpdatePullRequest(octokit: GitHubClient, input: PullRequestInput): Promise<PullRequestRef> {
  const params = repoParams(input.repo);
  const title = pullRequestTitle(input.issueTitle, input.titleTemplate, { number: input.issueNumber, agent: input.agent });
  const body = pullRequestBody(input);
  try {
    const { data } = await octokit.rest.pulls.create({ ...params, head: input.branch, base: input.base, title, body, draft: input.draft ?? false });
    return { number: data.number, url: data.html_url, created: true };
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    // Creating first costs one request in the common case; 422 means one is already open.
    const { data: open } = await octokit.rest.pulls.list({ ...params, head: `${input.repo.owner}:${input.branch}`, state: 'open', per_page: 1 });
    const existing = open[0];
    if (!existing) throw new Error(`GitHub refused to open a pull request from ${input.branch}: ${(error as Error).message}`, { cause: error });
    await octokit.rest.pulls.update({ ...params, pull_number: existing.number, title, body });
    return { number: existing.number, url: existing.html_url, created: false };
  }
}
