/** What a run's commit says: a Conventional Commit message, and the diff stat against the base. */
import type { DiffStat, IssueSnapshot, TerminalState } from '../domain/run.ts';
import type { TrustedGit } from './git.ts';

/** A Conventional Commit subject for the issue, with the issue reference and the run in the body. */
export function commitMessage(
  request: { issue: IssueSnapshot; agentName: string; runId: string; startFrom?: string | undefined },
  state: TerminalState,
): string {
  const bug = request.issue.labels.some((l) => /^(bug|type:\s*bug|kind\/bug)$/i.test(l));
  // A round that builds on the pull request's head fixes its checks.
  const type = bug || request.startFrom ? 'fix' : 'feat';
  const issueTitle = request.issue.title.replace(/\s+/g, ' ').trim();
  const title = request.startFrom ? `failing checks of ${issueTitle}` : issueTitle;
  const subject = `${type}: ${title.length > 60 ? `${title.slice(0, 59).trimEnd()}…` : title} (#${request.issue.number})`;
  const status = state === 'succeeded' ? '' : `\nWork in progress: the run ended ${state.replace('_', ' ')}.\n`;
  return `${subject}\n${status}\nCloses #${request.issue.number}\n\nSwitchyard-Run: ${request.runId}\nSwitchyard-Agent: ${request.agentName}\n`;
}

/** The diff stat of a change, from one `git diff --stat`: its text, and the counts of its summary line. */
export async function diffStat(git: TrustedGit, baseSha: string, headSha: string): Promise<DiffStat> {
  const text = (await git.raw(['diff', '--no-ext-diff', '--no-color', '--stat=72', baseSha, headSha])).trimEnd();
  const summary = text.split('\n').at(-1) ?? '';
  const count = (pattern: RegExp) => Number(pattern.exec(summary)?.[1] ?? 0);
  return {
    files: count(/(\d+) files? changed/),
    insertions: count(/(\d+) insertions?\(\+\)/),
    deletions: count(/(\d+) deletions?\(-\)/),
    text,
  };
}
