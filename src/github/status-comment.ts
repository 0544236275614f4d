/**
 * The status comment: one per issue, found again by a hidden marker, edited in place as the run
 * moves from queued to its end.
 */
import type { DiffStat, RepoRef, RunState } from '../store/records.ts';
import type { Store } from '../store/records.ts';
import { repoParams, statusOf, type GitHubClient } from './client.ts';

export const STATUS_MARKER = '<!-- switchyard:status -->';

export interface StatusView {
  agent: string;
  attempt: number;
  state: RunState;
  /** Time spent so far (running) or in total (finished), in milliseconds. */
  elapsedMs?: number | undefined;
  reason?: string | undefined | null;
  pullRequest?: { number: number; url: string } | undefined;
  diffStat?: DiffStat | undefined | null;
  /** A branch that holds the work of a run that did not succeed. */
  keptBranch?: string | undefined;
  logTail?: string | undefined | null;
  checks?: readonly CheckView[] | undefined;
}

export interface CheckView {
  command: string;
  passed: boolean;
  timedOut: boolean;
  durationMs: number;
}

/** A Markdown table of check results. */
export function checksTable(checks: readonly CheckView[]): string {
  const rows = checks.map((c) => `| \`${c.command.replace(/`/g, "'").replace(/\|/g, '\\|')}\` | ${c.passed ? '✅ passed' : c.timedOut ? '⏱️ timed out' : '❌ failed'} | ${formatDuration(c.durationMs)} |`);
  return ['| check | result | time |', '|---|---|---|', ...rows].join('\n');
}

const HEADLINE: Record<RunState, string> = {
  queued: '🕓 **Queued**',
  waiting: '⏸️ **Waiting**',
  running: '🚂 **Running**',
  succeeded: '✅ **Succeeded**',
  failed: '❌ **Failed**',
  timed_out: '⏱️ **Timed out**',
  cancelled: '🛑 **Cancelled**',
};

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

/** A fence longer than any backtick run in `text`, so output cannot close it early. */
function fenceFor(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function describeDiff(stat: DiffStat): string {
  return `+${stat.insertions} −${stat.deletions} in ${plural(stat.files, 'file')}`;
}

export function renderStatus(view: StatusView): string {
  const lines = [STATUS_MARKER, `**Switchyard** · \`agent:${view.agent}\` · attempt ${view.attempt}`, ''];
  let headline = HEADLINE[view.state];
  if (view.elapsedMs !== undefined) {
    headline += view.state === 'running' ? ` for ${formatDuration(view.elapsedMs)}` : ` in ${formatDuration(view.elapsedMs)}`;
  }
  if (view.state === 'queued') headline += ' — waiting for a free slot.';
  if (view.pullRequest) {
    headline += ` — pull request #${view.pullRequest.number}`;
    if (view.diffStat) headline += ` (${describeDiff(view.diffStat)})`;
  }
  lines.push(headline);
  if (view.reason) lines.push('', view.reason);
  if (view.keptBranch) lines.push('', `Work kept on branch \`${view.keptBranch}\`; no pull request was opened for it.`);
  if (view.checks && view.checks.length > 0) lines.push('', checksTable(view.checks));
  if (view.pullRequest) lines.push('', `Review it: ${view.pullRequest.url}`);
  if (view.logTail) {
    const fence = fenceFor(view.logTail);
    lines.push('', '<details><summary>Agent output (last lines)</summary>', '', `${fence}text`, view.logTail, fence, '', '</details>');
  }
  return `${lines.join('\n')}\n`;
}

/** Edits the issue's status comment, creating it on first use; returns its id. */
export async function writeStatusComment(
  octokit: GitHubClient,
  store: Store,
  repo: RepoRef,
  issueNumber: number,
  body: string,
): Promise<number> {
  const params = { ...repoParams(repo), issue_number: issueNumber };
  let id = await store.statusCommentId(repo.fullName, issueNumber);
  if (id === undefined) id = await findStatusComment(octokit, params);
  if (id !== undefined) {
    try {
      await octokit.rest.issues.updateComment({ ...repoParams(repo), comment_id: id, body });
      await store.saveStatusCommentId(repo.fullName, issueNumber, id);
      return id;
    } catch (error) {
      // Deleted, or not ours to edit: write a new one.
      if (statusOf(error) !== 404 && statusOf(error) !== 403) throw error;
    }
  }
  const { data } = await octokit.rest.issues.createComment({ ...params, body });
  await store.saveStatusCommentId(repo.fullName, issueNumber, data.id);
  return data.id;
}

async function findStatusComment(octokit: GitHubClient, params: { owner: string; repo: string; issue_number: number }): Promise<number | undefined> {
  for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, { ...params, per_page: 100 })) {
    const found = page.data.find((c) => c.user?.type === 'Bot' && c.body?.startsWith(STATUS_MARKER));
    if (found) return found.id;
  }
  return undefined;
}
