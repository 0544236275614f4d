/** The pull request of a run: one per issue branch, opened once and updated by later runs. */
import type { DiffStat, RepoRef } from '../domain/run.ts';
import { renderTitle } from '../config/repo.ts';
import { repoParams, statusOf, type GitHubClient } from './client.ts';
import { checksTable, type CheckView } from './status-comment.ts';
import { formatDuration } from '../domain/duration.ts';
import { defuseMentions, stripInvisible } from '../agents/untrusted.ts';
import { describeUsage } from '../agents/report.ts';
import type { AgentUsage } from '../domain/run.ts';

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
  /** Who asked for the run, and with which label or command. */
  requestedBy?: { login: string; how: string } | undefined;
  /** The issue's status comment, on GitHub. */
  statusUrl?: string | undefined;
  /** The run's page on the dashboard. */
  runUrl?: string | undefined;
  /** The pull request to update, when the run must never open another (a repair). */
  existing?: number | undefined;
}

export interface PullRequestRef {
  number: number;
  url: string;
  /** Opened by this call (false: an open one was updated). */
  created: boolean;
}

/** GitHub's limit on a pull request title. */
const MAX_TITLE = 256;

export function pullRequestTitle(
  issueTitle: string,
  template = '{title}',
  values: { number: number; agent: string } = { number: 0, agent: '' },
): string {
  // Bidi controls could make a title read differently from what it says (Trojan Source).
  const clean = stripInvisible(issueTitle).replace(/\s+/g, ' ').trim() || 'Untitled issue';
  const title = renderTitle(template, { title: clean, ...values })
    .replace(/\s+/g, ' ')
    .trim();
  return title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE - 1)}…` : title;
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
  if (input.requestedBy) lines.push('', `Requested by @${input.requestedBy.login} with ${input.requestedBy.how}.`);
  const links = [
    input.statusUrl ? `[status on #${input.issueNumber}](${input.statusUrl})` : undefined,
    input.runUrl ? `[run log](${input.runUrl})` : undefined,
  ].filter(Boolean);
  if (links.length > 0) lines.push('', `See the ${links.join(' and the ')}.`);
  if (input.usage) lines.push('', `Usage: ${describeUsage(input.usage)}.`);
  if (input.checks.length > 0) lines.push('', checksTable(input.checks));
  if (input.diffStat) lines.push('', '```text', input.diffStat.text, '```');
  lines.push(
    '',
    '<sub>Comment `/agent retry <instructions>` on this pull request to run the agent again on this branch, with your instructions and the review comments of people with write access. `/agent help` lists every command.</sub>',
  );
  return `${lines.join('\n')}\n`;
}

/** Opens the branch's pull request, or updates the one already open for it (a retry). */
export async function openOrUpdatePullRequest(octokit: GitHubClient, input: PullRequestInput): Promise<PullRequestRef> {
  const params = repoParams(input.repo);
  const title = pullRequestTitle(input.issueTitle, input.titleTemplate, {
    number: input.issueNumber,
    agent: input.agent,
  });
  const body = pullRequestBody(input);
  if (input.existing !== undefined) {
    const { data } = await octokit.rest.pulls.update({ ...params, pull_number: input.existing, title, body });
    return { number: data.number, url: data.html_url, created: false };
  }
  try {
    const { data } = await octokit.rest.pulls.create({
      ...params,
      head: input.branch,
      base: input.base,
      title,
      body,
      draft: input.draft ?? false,
    });
    return { number: data.number, url: data.html_url, created: true };
  } catch (error) {
    if (statusOf(error) !== 422) throw error;
    // Creating first costs one request in the common case; 422 means one is already open.
    const { data: open } = await octokit.rest.pulls.list({
      ...params,
      head: `${input.repo.owner}:${input.branch}`,
      state: 'open',
      per_page: 1,
    });
    const existing = open[0];
    if (!existing)
      throw new Error(`GitHub refused to open a pull request from ${input.branch}: ${(error as Error).message}`, {
        cause: error,
      });
    await octokit.rest.pulls.update({ ...params, pull_number: existing.number, title, body });
    return { number: existing.number, url: existing.html_url, created: false };
  }
}
