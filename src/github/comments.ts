/**
 * The issue's comments an agent may read: those of people with write access only. Anyone can
 * comment on a public issue; only people who could have started the run may steer it.
 */
import type { PromptComment, RepoRef } from '../domain/run.ts';
import { repoParams, type GitHubClient } from './client.ts';
import { parseCommand } from './command-line.ts';
import { fetchPermission } from './permissions.ts';
import { isStatusComment } from './status-comment.ts';

/** The newest comments kept for a prompt, and their total size. */
export const MAX_PROMPT_COMMENTS = 50;
export const MAX_PROMPT_COMMENT_BYTES = 64 * 1024;

export interface IssueComments {
  /** Switchyard's status comment, if the issue has one. */
  statusCommentId: number | undefined;
  forPrompt: PromptComment[];
}

/** Lists the issue's comments once: finds the status comment and keeps the writers' comments. */
export async function readIssueComments(
  octokit: GitHubClient,
  repo: RepoRef,
  issueNumber: number,
  knownWriters: readonly string[],
): Promise<IssueComments> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    ...repoParams(repo),
    issue_number: issueNumber,
    per_page: 100,
  });
  const status = comments.find(isStatusComment);
  const writers = new Map<string, boolean>(knownWriters.map((login) => [login, true]));
  const kept: PromptComment[] = [];
  for (const comment of comments.slice(-MAX_PROMPT_COMMENTS * 2)) {
    const author = comment.user?.login;
    if (!author || comment.user?.type === 'Bot' || !comment.body?.trim()) continue;
    // Commands are for Switchyard, not the agent.
    if (parseCommand(comment.body)) continue;
    if (!writers.has(author)) writers.set(author, (await fetchPermission(octokit, repo, author)).allowed);
    if (writers.get(author)) kept.push({ author, body: comment.body });
  }
  const forPrompt: PromptComment[] = [];
  let bytes = 0;
  for (const comment of kept.slice(-MAX_PROMPT_COMMENTS).reverse()) {
    bytes += Buffer.byteLength(comment.body);
    if (bytes > MAX_PROMPT_COMMENT_BYTES) break;
    forPrompt.unshift(comment);
  }
  return { statusCommentId: status?.id, forPrompt };
}

/**
 * The review comments on a pull request's lines by people with write access, each with its file
 * and line, for a retry's prompt.
 */
export async function readReviewComments(
  octokit: GitHubClient,
  repo: RepoRef,
  pullNumber: number,
  knownWriters: readonly string[],
): Promise<PromptComment[]> {
  const comments = await octokit.paginate(octokit.rest.pulls.listReviewComments, {
    ...repoParams(repo),
    pull_number: pullNumber,
    per_page: 100,
  });
  const writers = new Map<string, boolean>(knownWriters.map((login) => [login, true]));
  const kept: PromptComment[] = [];
  let bytes = 0;
  for (const comment of comments.slice(-MAX_PROMPT_COMMENTS)) {
    const author = comment.user?.login;
    if (!author || comment.user?.type === 'Bot' || !comment.body.trim()) continue;
    if (!writers.has(author)) writers.set(author, (await fetchPermission(octokit, repo, author)).allowed);
    if (!writers.get(author)) continue;
    const body = `(review comment on ${comment.path}${comment.line ? `, line ${comment.line}` : ''}) ${comment.body}`;
    bytes += Buffer.byteLength(body);
    if (bytes > MAX_PROMPT_COMMENT_BYTES) break;
    kept.push({ author, body });
  }
  return kept;
}
