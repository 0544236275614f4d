/**
 * The status comment's text: one per issue, found again by a hidden marker. It is a view of the
 * issue's newest run record, so whoever writes it last writes the newest state.
 */
import type { Mergeability } from '../domain/mergeability.ts';
import { mergeabilityLines, worthSaying } from './mergeability.ts';
import { ciLines } from './ci-checks.ts';
import type { CiChecks } from '../domain/ci-checks.ts';
import type { CheckRecord } from '../domain/run.ts';
import { formatDuration } from '../domain/duration.ts';
import { describeUsage } from '../agents/report.ts';
import type { AgentUsage } from '../domain/run.ts';
import { defuseMentions } from '../agents/untrusted.ts';
import { LIVE_STATES, type DiffStat, type PullRequestState, type RunRecord, type RunState } from '../domain/run.ts';

export const STATUS_MARKER = '<!-- switchyard:status -->';

/** Whether a comment is Switchyard's status comment: written by a bot, starting with the marker. */
export function isStatusComment(comment: {
  user?: { type?: string | undefined } | null | undefined;
  body?: string | null | undefined;
}): boolean {
  return comment.user?.type === 'Bot' && (comment.body?.startsWith(STATUS_MARKER) ?? false);
}

export interface StatusView {
  agent: string;
  /** The label that started the run, when it names the agent differently (a repository mapping). */
  label?: string | undefined;
  attempt: number;
  state: RunState;
  /** Time spent so far (running) or in total (finished), in milliseconds. */
  elapsedMs?: number | undefined;
  reason?: string | undefined | null;
  /** When the run started: shown while it runs, so the comment says since when. */
  startedAt?: Date | undefined;
  /** The agent's newest line of output, while it runs. */
  progress?: string | undefined;
  /** Where the work of an interrupted attempt was pushed. */
  rescuedBranch?: string | undefined;
  /** Tokens, turns and cost, where the agent reported them. */
  usage?: AgentUsage | undefined;
  pullRequest?: { number: number; url: string } | undefined;
  diffStat?: DiffStat | undefined | null;
  /** A branch that holds the work of a run that did not succeed. */
  keptBranch?: string | undefined;
  logTail?: string | undefined | null;
  checks?: readonly CheckView[] | undefined;
  /** What became of the pull request once opened. */
  pullRequestState?: PullRequestState | null | undefined;
  /** An answer to a command, shown under the state. */
  note?: string | undefined;
  /** The run's page on the dashboard, when Switchyard knows its public address. */
  runUrl?: string | undefined;
  /** What the agent said it did, for a finished run (its final message, shortened). */
  summary?: string | undefined;
  /** The pull request against its base, while it is open (or being repaired). */
  mergeability?: Mergeability | undefined;
  /** The pull request's CI and the rounds of fixes for its failing checks, while it is open. */
  ci?: CiChecks | undefined;
}

export type CheckView = CheckRecord;

/** A Markdown table of check results. */
export function checksTable(checks: readonly CheckView[]): string {
  const rows = checks.map(
    (c) =>
      `| \`${c.command.replace(/`/g, "'").replace(/\|/g, '\\|')}\` | ${c.passed ? '✅ passed' : c.timedOut ? '⏱️ timed out' : '❌ failed'} | ${formatDuration(c.durationMs)} |`,
  );
  return ['| check | result | time |', '|---|---|---|', ...rows].join('\n');
}

const HEADLINE: Record<RunState, string> = {
  queued: '🕓 **Queued**',
  waiting: '⏸️ **Waiting**',
  running: '🚂 **Running**',
  succeeded: '✅ **Succeeded**',
  failed: '❌ **Failed**',
  timed_out: '⏱️ **Timed out**',
  stalled: '💤 **Stalled**',
  over_limit: '🛑 **Stopped at a limit**',
  cancelled: '🛑 **Cancelled**',
};

/** `text` as inline code that no backtick in it can close early. */
function codeSpan(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks} ${text} ${ticks}`;
}

/** A fence longer than any backtick run in `text`, so output cannot close it early. */
function fenceFor(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** `text` as a Markdown block quote. */
function quote(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function describeDiff(stat: DiffStat): string {
  return `+${stat.insertions} −${stat.deletions} in ${plural(stat.files, 'file')}`;
}

/** The commands that make sense in a state, for the comment's footer: nothing to retry once the pull request is merged. */
export function commandsFor(state: RunState, pullRequestState?: PullRequestState | null): string[] {
  if (LIVE_STATES.includes(state)) return ['/agent cancel', '/agent status', '/agent plan', '/agent help'];
  if (pullRequestState === 'merged') return ['/agent status', '/agent plan', '/agent help'];
  return ['/agent retry', '/agent status', '/agent plan', '/agent help'];
}

export function renderStatus(view: StatusView): string {
  const started =
    view.label && view.label.toLowerCase() !== `agent:${view.agent}`
      ? `\`${view.label}\` → \`${view.agent}\``
      : `\`agent:${view.agent}\``;
  const lines = [STATUS_MARKER, `**Switchyard** · ${started} · attempt ${view.attempt}`, ''];
  let headline = view.pullRequestState === 'merged' ? '🎉 **Merged**' : HEADLINE[view.state];
  // A run's first write comes as it starts: it says since when, not "for 0.0 s".
  const justStarted = view.state === 'running' && (view.elapsedMs ?? 0) < 1000;
  if (view.elapsedMs !== undefined && view.pullRequestState !== 'merged' && !justStarted) {
    headline +=
      view.state === 'running' ? ` for ${formatDuration(view.elapsedMs)}` : ` in ${formatDuration(view.elapsedMs)}`;
  }
  if (view.state === 'queued') headline += ' — waiting for a free slot.';
  if (view.state === 'running' && view.startedAt) {
    const since = `${view.startedAt.toISOString().slice(11, 19)} UTC`;
    headline += justStarted ? ` since ${since}` : ` (since ${since})`;
  }
  if (view.pullRequest) {
    headline += ` — pull request #${view.pullRequest.number}`;
    if (view.pullRequestState === 'merged') headline += ' was merged';
    if (view.pullRequestState === 'closed') headline += ' was closed without merging';
    if (view.diffStat) headline += ` (${describeDiff(view.diffStat)})`;
  }
  lines.push(headline);
  if (view.mergeability && worthSaying(view.mergeability)) lines.push('', ...mergeabilityLines(view.mergeability));
  if (view.ci) lines.push('', ...ciLines(view.ci));
  if (view.reason) lines.push('', view.reason);
  if (view.state === 'running' && view.progress) lines.push('', `Last output: ${codeSpan(view.progress)}`);
  if (view.pullRequestState === 'closed')
    lines.push(
      '',
      'A later run pushes to the same branch but opens no new pull request; comment `/agent retry` to run again and open a new one.',
    );
  if (view.rescuedBranch)
    lines.push('', `The work of an interrupted attempt was kept on branch \`${view.rescuedBranch}\`.`);
  if (view.keptBranch) lines.push('', `Work kept on branch \`${view.keptBranch}\`; no pull request was opened for it.`);
  if (view.summary)
    lines.push(
      '',
      '<details><summary>What the agent reported</summary>',
      '',
      quote(defuseMentions(view.summary)),
      '',
      '</details>',
    );
  if (view.usage) lines.push('', `Usage: ${describeUsage(view.usage)}.`);
  if (view.checks && view.checks.length > 0) lines.push('', checksTable(view.checks));
  if (view.pullRequest && !view.pullRequestState) lines.push('', `Review it: ${view.pullRequest.url}`);
  if (view.runUrl) lines.push('', `[Run log and details](${view.runUrl})`);
  if (view.logTail) {
    const fence = fenceFor(view.logTail);
    lines.push(
      '',
      '<details><summary>Agent output (last lines)</summary>',
      '',
      `${fence}text`,
      view.logTail,
      fence,
      '',
      '</details>',
    );
  }
  if (view.note) lines.push('', view.note);
  lines.push(
    '',
    `<sub>Commands: ${commandsFor(view.state, view.pullRequestState)
      .map((c) => `\`${c}\``)
      .join(' · ')}</sub>`,
  );
  return `${lines.join('\n')}\n`;
}

/** A run's page on the dashboard at `publicUrl`. */
export function runPageUrl(publicUrl: string | undefined, runId: string): string | undefined {
  return publicUrl ? `${publicUrl}/dashboard/runs/${encodeURIComponent(runId)}` : undefined;
}

/** The view of an issue's newest run at `now`; `publicUrl` is where the dashboard is reached, if anywhere. */
export function statusViewOf(run: RunRecord, note: string | undefined, now: number, publicUrl?: string): StatusView {
  const ended = !LIVE_STATES.includes(run.state);
  const waiting = run.state === 'waiting' && run.waitingReason ? `#${run.issueNumber} ${run.waitingReason}` : undefined;
  return {
    agent: run.agent,
    label: run.trigger.label,
    attempt: run.attempt,
    state: run.state,
    elapsedMs: run.startedAt ? (run.finishedAt?.getTime() ?? now) - run.startedAt.getTime() : undefined,
    reason: ended ? run.reason : waiting,
    pullRequest:
      run.pullRequestNumber !== null && run.pullRequestUrl
        ? { number: run.pullRequestNumber, url: run.pullRequestUrl }
        : undefined,
    pullRequestState: run.pullRequestState,
    diffStat: run.diffStat,
    keptBranch: ended && run.keptBranch ? run.branch : undefined,
    logTail: ended && run.state !== 'succeeded' ? run.logTail : undefined,
    checks: run.checks,
    note,
    startedAt: run.startedAt ?? undefined,
    progress: run.state === 'running' ? (run.progress ?? undefined) : undefined,
    rescuedBranch: run.rescuedBranch ?? undefined,
    usage: run.usage ?? undefined,
    summary: ended ? (run.summary ?? undefined) : undefined,
    mergeability:
      run.pullRequestState === 'merged' || run.pullRequestState === 'closed'
        ? undefined
        : (run.mergeability ?? undefined),
    ci:
      run.pullRequestState === 'merged' || run.pullRequestState === 'closed' ? undefined : (run.ciChecks ?? undefined),
    runUrl: runPageUrl(publicUrl, run.id),
  };
}
