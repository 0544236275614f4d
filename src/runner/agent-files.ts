/**
 * What the agent finds in \`.switchyard/\` of its worktree before it starts: the run's context (as
 * JSON and Markdown), the prompt (issue, comments, the repository's instruction files, additions)
 * and the issue body.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contextMarkdown, runContext } from '../agents/context.ts';
import type { LaunchContext } from '../agents/launch.ts';
import { INSTRUCTION_FILES, MAX_INSTRUCTION_BYTES, renderPrompt } from '../agents/prompt.ts';
import type { RunRequest } from './request.ts';
import { SWITCHYARD_DIR, type PreparedWorktree } from './repo-cache.ts';
import { readInside } from './safe-read.ts';

export async function writeAgentFiles(
  request: RunRequest,
  worktree: PreparedWorktree,
  context: LaunchContext,
): Promise<void> {
  await mkdir(join(worktree.path, SWITCHYARD_DIR), { recursive: true });
  const deadline = new Date(Date.now() + request.timeoutMs);
  const about = runContext({
    repo: request.repo,
    issue: request.issue,
    agent: request.agentName,
    runId: request.runId,
    attempt: request.attempt,
    branch: worktree.branch,
    baseBranch: request.base,
    baseCommit: worktree.baseSha,
    worktree: worktree.path,
    deadline,
  });
  await writeFile(join(worktree.path, SWITCHYARD_DIR, 'context.json'), `${JSON.stringify(about, null, 2)}\n`);
  await writeFile(join(worktree.path, SWITCHYARD_DIR, 'CONTEXT.md'), contextMarkdown(about));
  const instructions = await readInstructions(worktree.path);
  const prompt = renderPrompt({
    repo: request.repo,
    issue: request.issue,
    branch: worktree.branch,
    comments: request.comments ?? [],
    instructions,
    additions: request.promptAdditions ?? [],
    agent: request.agentName,
    attempt: request.attempt,
    baseBranch: request.base,
  });
  await writeFile(context.promptFile, prompt);
  await writeFile(context.issueFile, request.issue.body);
}

/** The repository's instruction files for agents, as the checkout has them. */
async function readInstructions(worktree: string): Promise<Array<{ path: string; text: string }>> {
  const found: Array<{ path: string; text: string }> = [];
  for (const path of INSTRUCTION_FILES) {
    const content = await readInside(worktree, join(worktree, path), MAX_INSTRUCTION_BYTES);
    if (!content || content.length === 0) continue;
    const text = content.subarray(0, MAX_INSTRUCTION_BYTES).toString('utf8');
    found.push({
      path,
      text: content.length > MAX_INSTRUCTION_BYTES ? `${text}\n[… cut at ${MAX_INSTRUCTION_BYTES} bytes]` : text,
    });
  }
  return found;
}
