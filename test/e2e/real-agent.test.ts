/**
 * The whole path with a real agent CLI: a label on an issue, the real Codex (installed from the
 * npm registry by .ci/run) talking to the scripted model server, and a pull request whose body
 * carries the agent's last message, with its token usage in the status comment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentCli, scriptedAgent } from '../support/agent-clis.ts';
import { startModelServer, type ModelServer } from '../support/model-server.ts';
import { addLabel, eventually, openIssue, startStack, statusShowing, type Stack } from '../support/stack.ts';

const CODEX = agentCli('codex');

describe.runIf(CODEX)('from a label to a pull request with the real Codex', () => {
  let stack: Stack;
  let model: ModelServer;

  beforeAll(async () => {
    model = await startModelServer([
      { tool: 'exec_command', input: { cmd: "printf 'hello from codex\\n' > src/codex.txt" } },
      { text: 'Added src/codex.txt with a greeting.' },
    ]);
    stack = await startStack({
      agents: { codex: scriptedAgent('codex', CODEX ?? '', model.url, { timeout: 120_000 }) },
      env: { SWITCHYARD_SANDBOX: 'none' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await model?.close();
  });

  it('opens a pull request with what Codex did and said, and its tokens in the status comment', async () => {
    const issue = await openIssue(stack, 'Greet from Codex', 'Add a greeting file.');
    await addLabel(stack, issue, 'agent:codex');
    const status = await statusShowing(stack, issue, 'Succeeded', 90_000);
    expect(status).toContain('Usage: 240 tokens in, 60 out.');
    const pull = await eventually(
      async () => {
        const { data } = await stack.gh.rest.pulls.list({ owner: stack.owner, repo: stack.repo, state: 'open' });
        return data.find((p) => p.body?.includes(`Closes #${issue}`));
      },
      30_000,
      'the pull request',
    );
    expect(pull.body).toContain('Added src/codex.txt with a greeting.');
    const { data: file } = await stack.gh.rest.repos.getContent({
      owner: stack.owner,
      repo: stack.repo,
      path: 'src/codex.txt',
      ref: pull.head.ref,
    });
    expect('content' in file ? Buffer.from(file.content, 'base64').toString().trimEnd() : '').toBe('hello from codex');
  });
});
