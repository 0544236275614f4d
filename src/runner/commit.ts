/** What a run's commit says: a Conventional Commit message, and the diff stat against the base. */
import type { DiffStat, IssueSnapshot } from '../store/records.ts';
import type { SimpleGit } from 'simple-git';

export type CommitState = 'succeeded' | 'failed' | 'timed_out' | 'stalled' | 'cancelled';

/** A Conventional Commit subject for the issue, with the issue reference and the run in the body. */
export function commitMessage(
  request: { issue: IssueSnapshot; agentName: string; runId: string },
  state: CommitState,
): string {
  const type = request.issue.labels.some((l) => /^(bug|type:\s*bug|kind\/bug)$/i.test(l)) ? 'fix' : 'feat';
  const title = request.issue.title.replace(/\s+/g, ' ').trim();
  const subject = `${type}: ${title.length > 60 ? `${title.slice(0, 59).trimEnd()}…` : title} (#${request.issue.number})`;
  const status = state === 'succeeded' ? '' : `\nWork in progress: the run ended ${state.replace('_', ' ')}.\n`;
  return `${subject}\n${status}\nCloses #${request.issue.number}\n\nSwitchyard-Run: ${request.runId}\nSwitchyard-Agent: ${request.agentName}\n`;
}

export async function diffStat(git: SimpleGit, baseSha: string, headSha: string): Promise<DiffStat> {
  const numstat = await git.raw(['diff', '--numstat', baseSha, headSha]);
  let insertions = 0;
  let deletions = 0;
  let files = 0;
  for (const line of numstat.split('\n').filter(Boolean)) {
    const [added, removed] = line.split('\t');
    insertions += Number(added) || 0;
    deletions += Number(removed) || 0;
    files += 1;
  }
  const text = (await git.raw(['diff', '--stat=72', baseSha, headSha])).trimEnd();
  return { files, insertions, deletions, text };
}
