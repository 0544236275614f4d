/**
 * What a run's commit holds and says: everything the agent changed except workflow files, a
 * Conventional Commit message, and the diff stat against the base.
 */
import type { DiffStat, IssueSnapshot } from '../store/records.ts';
import type { SimpleGit } from 'simple-git';

/**
 * Files a GitHub App can push only with the `workflows` permission, which Switchyard does not
 * ask for: a run's changes to them are left out of its commit.
 */
export const REFUSED_PREFIX = '.github/workflows/';

/** Unstages staged changes under `.github/workflows/`; returns their paths. */
export async function leaveOutWorkflows(git: SimpleGit): Promise<string[]> {
  const staged = (await git.raw(['diff', '--cached', '--name-only', '-z'])).split('\0').filter(Boolean);
  const refused = staged.filter((path) => path.startsWith(REFUSED_PREFIX));
  if (refused.length > 0) await git.raw(['reset', '--quiet', '--', REFUSED_PREFIX]);
  return refused;
}

export function refusedMessage(paths: readonly string[], nothingElse: boolean): string {
  const list = paths.slice(0, 10).map((p) => `\`${p}\``).join(', ') + (paths.length > 10 ? ` and ${paths.length - 10} more` : '');
  const why = 'a GitHub App needs the extra `workflows` permission to push them, and Switchyard does not ask for it. Change workflows by hand.';
  return nothingElse
    ? `The agent changed only files under \`${REFUSED_PREFIX}\` (${list}); they were not pushed: ${why}`
    : `Changes to ${list} were left out: ${why}`;
}

export type CommitState = 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

/** A Conventional Commit subject for the issue, with the issue reference and the run in the body. */
export function commitMessage(request: { issue: IssueSnapshot; agentName: string; runId: string }, state: CommitState): string {
  const type = request.issue.labels.some((l) => /^(bug|type:\s*bug|kind\/bug)$/i.test(l)) ? 'fix' : 'feat';
  const title = request.issue.title.replace(/\s+/g, ' ').trim();
  const subject = `${type}: ${title.length > 60 ? `${title.slice(0, 59).trimEnd()}…` : title} (#${request.issue.number})`;
  const status = state === 'succeeded' ? '' : `\nWork in progress: the run ended ${state.replace('_', ' ')}.\n`;
  return `${subject}\n${status}\nCloses #${request.issue.number}\n\nSwitchyard-Run: ${request.runId}\nSwitchyard-Agent: ${request.agentName}\n`;
}

export async function diffStat(git: SimpleGit, baseSha: string): Promise<DiffStat> {
  const numstat = await git.raw(['diff', '--numstat', baseSha, 'HEAD']);
  let insertions = 0;
  let deletions = 0;
  let files = 0;
  for (const line of numstat.split('\n').filter(Boolean)) {
    const [added, removed] = line.split('\t');
    insertions += Number(added) || 0;
    deletions += Number(removed) || 0;
    files += 1;
  }
  const text = (await git.raw(['diff', '--stat=72', baseSha, 'HEAD'])).trimEnd();
  return { files, insertions, deletions, text };
}
