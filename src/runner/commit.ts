/** What a run's commit says: a Conventional Commit message, and the diff stat against the base. */
import type { DiffStat, IssueSnapshot, TerminalState } from '../domain/run.ts';
import type { SimpleGit } from 'simple-git';

/** A Conventional Commit subject for the issue, with the issue reference and the run in the body. */
export function commitMessage(
  request: { issue: IssueSnapshot; agentName: string; runId: string },
  state: TerminalState,
): string {
  const type = request.issue.labels.some((l) => /^(bug|type:\s*bug|kind\/bug)$/i.test(l)) ? 'fix' : 'feat';
  const title = request.issue.title.replace(/\s+/g, ' ').trim();
  const subject = `${type}: ${title.length > 60 ? `${title.slice(0, 59).trimEnd()}…` : title} (#${request.issue.number})`;
  const status = state === 'succeeded' ? '' : `\nWork in progress: the run ended ${state.replace('_', ' ')}.\n`;
  return `${subject}\n${status}\nCloses #${request.issue.number}\n\nSwitchyard-Run: ${request.runId}\nSwitchyard-Agent: ${request.agentName}\n`;
}

export async function diffStat(git: SimpleGit, baseSha: string, headSha: string): Promise<DiffStat> {
  const summary = await git.diffSummary([baseSha, headSha]);
  const text = (await git.raw(['diff', '--stat=72', baseSha, headSha])).trimEnd();
  return { files: summary.files.length, insertions: summary.insertions, deletions: summary.deletions, text };
}
