/**
 * The repository dashboard issue (opt-in with `dashboard: true`, as Renovate's Dependency
 * Dashboard): one issue per repository that lists its running and waiting runs with their
 * reasons, and the week's finished runs, each recent failure with a box that, ticked by someone
 * with write access, retries it. Switchyard finds the issue again by a hidden marker, rewrites it
 * at most once per interval, and never when nothing changed.
 */
import { mergeabilityLines } from './mergeability.ts';
import type { RepoRef, RunRecord } from '../domain/run.ts';
import { repoParams, statusOf, type GitHubClient } from './client.ts';
import { formatDuration } from '../domain/duration.ts';

export const DASHBOARD_MARKER = '<!-- switchyard:dashboard -->';
export const DASHBOARD_TITLE = 'Switchyard Dashboard';

/** One line of text from an issue title: no newlines, no way to close the list item early. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 120);

const RETRY_BOX = /^- \[( |x|X)\] <!-- retry:(\d+) -->/gm;

/** The dashboard issue's body. Pure. */
export function renderDashboard(live: readonly RunRecord[], finished: readonly RunRecord[], now: Date): string {
  const lines = [
    DASHBOARD_MARKER,
    "This issue lists what Switchyard does in this repository, and is kept up to date. Tick a box under **Recent failures** to run that issue's agent again (people with write access).",
    '',
  ];
  const running = live.filter((r) => r.state === 'running');
  const waiting = live.filter((r) => r.state !== 'running');
  lines.push('## Running', '');
  if (running.length === 0) lines.push('Nothing is running.');
  for (const run of running) {
    const since = run.startedAt ? `, for ${formatDuration(now.getTime() - run.startedAt.getTime())}` : '';
    lines.push(
      `- #${run.issueNumber} ${oneLine(run.trigger.issue.title)}: \`${run.agent}\`, attempt ${run.attempt}${since}`,
    );
  }
  lines.push('', '## Waiting', '');
  if (waiting.length === 0) lines.push('Nothing is waiting.');
  for (const run of waiting) {
    const why =
      run.state === 'waiting' && run.waitingReason
        ? run.waitingReason
        : run.dispatchedAt
          ? 'handed to a worker'
          : 'queued: waits for the batch to be planned or a free slot';
    lines.push(`- #${run.issueNumber} ${oneLine(run.trigger.issue.title)}: ${oneLine(why)}`);
  }
  // Only an issue's newest run counts: a failure that a later run fixed is not listed as one.
  const newest = new Map<number, RunRecord>();
  for (const run of finished)
    if (!newest.has(run.issueNumber) && !live.some((l) => l.issueNumber === run.issueNumber))
      newest.set(run.issueNumber, run);
  const failures = [...newest.values()].filter((r) => r.state !== 'succeeded' && r.state !== 'cancelled');
  const done = [...newest.values()].filter((r) => r.state === 'succeeded' || r.state === 'cancelled');
  lines.push('', '## Recent failures', '');
  if (failures.length === 0) lines.push('No run failed in the last week.');
  for (const run of failures)
    lines.push(
      `- [ ] <!-- retry:${run.issueNumber} --> #${run.issueNumber} ${oneLine(run.trigger.issue.title)}: ${run.state.replace('_', ' ')}${run.reason ? `, ${oneLine(run.reason)}` : ''}`,
    );
  lines.push('', '## Finished this week', '');
  if (done.length === 0) lines.push('None yet.');
  for (const run of done) {
    const pr =
      run.pullRequestNumber !== null
        ? ` #${run.pullRequestNumber}${run.pullRequestState && run.pullRequestState !== 'open' ? ` (${run.pullRequestState})` : ''}`
        : '';
    const open = run.pullRequestState === 'open' || run.pullRequestState === null;
    const mergeability = open && run.mergeability ? ` — ${oneLine(mergeabilityLines(run.mergeability)[0] ?? '')}` : '';
    lines.push(`- #${run.issueNumber} ${oneLine(run.trigger.issue.title)}: ${run.state}${pr}${mergeability}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The issues whose retry box went from empty to ticked between two versions of the body. Pure. */
export function tickedRetries(before: string, after: string): number[] {
  const boxes = (text: string) => new Map([...text.matchAll(RETRY_BOX)].map((m) => [Number(m[2]), m[1] !== ' ']));
  const was = boxes(before);
  return [...boxes(after)].filter(([issue, ticked]) => ticked && was.get(issue) === false).map(([issue]) => issue);
}

export function isDashboardBody(body: string | null | undefined): boolean {
  return (body ?? '').startsWith(DASHBOARD_MARKER);
}

/**
 * Writes the dashboard issue: edits `issueNumber` (reopened if closed), or opens a new one when
 * there is none or it is gone. Returns the issue's number.
 */
export async function writeDashboardIssue(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number | undefined,
  body: string,
): Promise<number> {
  const params = repoParams(repo);
  if (issueNumber !== undefined) {
    try {
      await octokit.rest.issues.update({ ...params, issue_number: issueNumber, body, state: 'open' });
      return issueNumber;
    } catch (error) {
      // Deleted or transferred: open a new one.
      if (statusOf(error) !== 404 && statusOf(error) !== 410) throw error;
    }
  }
  return (await octokit.rest.issues.create({ ...params, title: DASHBOARD_TITLE, body })).data.number;
}
