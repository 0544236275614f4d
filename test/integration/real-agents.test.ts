/**
 * The presets against the real agent CLIs, installed from the npm registry, each talking to a
 * scripted model server instead of a provider: the real binary reads a file, edits it with its
 * own tools and runs a command; Switchyard commits and pushes what it did and reads its report.
 * A CLI that is not installed is skipped with a note (.ci/run installs them).
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentDefinition } from '../../src/config/agents.ts';
import { Redactor } from '../../src/log/redact.ts';
import { Runner } from '../../src/runner/execute.ts';
import type { RunOutcome } from '../../src/domain/outcome.ts';
import type { RunBudget } from '../../src/scheduler/budget.ts';
import { RepoCache } from '../../src/runner/repo-cache.ts';
import { agentCli, defaultSandbox, scriptedAgent } from '../support/agent-clis.ts';
import { hostRepo, type HostedRepo } from '../support/hosted-repo.ts';
import { startModelServer, type ModelServer } from '../support/model-server.ts';
import { runRequest } from '../support/run-request.ts';

const CLAUDE = agentCli('claude');
const GEMINI = agentCli('gemini');
const CODEX = agentCli('codex');
const OPENCODE = agentCli('opencode');

/** One run of `agent` through the real runner, and its figures on a line: the run, the agent, and what Switchyard added. */
async function runTimed(
  hosted: HostedRepo,
  cache: RepoCache,
  agent: AgentDefinition,
  name: string,
  issue: number,
  runId: string,
  budget?: RunBudget,
): Promise<RunOutcome> {
  const sandbox = await defaultSandbox(hosted.dataDir, 'executable' in agent ? (agent.executable ?? '') : '');
  const runner = new Runner({
    cache,
    identity: { name: 'bot', email: 'bot@x.invalid' },
    redactor: new Redactor([hosted.token]),
    sandbox,
  });
  const started = performance.now();
  const outcome = await runner.execute(
    runRequest(hosted.repo, hosted.token, issue, [name], { runId, agent, agentName: name, timeoutMs: 120_000, budget }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      agent: name,
      sandbox: sandbox.kind,
      run_s: Number(seconds.toFixed(2)),
      agent_s: outcome.agentMs / 1000,
      overhead_s: Number((seconds - outcome.agentMs / 1000).toFixed(2)),
    }),
  );
  return outcome;
}

describe.runIf(CLAUDE)('the real Claude Code', () => {
  let hosted: HostedRepo;
  let model: ModelServer;
  let cache: RepoCache;
  const runId = 'claude-real-1';

  beforeAll(async () => {
    hosted = await hostRepo(
      { 'greeting.txt': 'hello\n', 'package.json': '{ "scripts": { "test": "node -e \\"process.exit(0)\\"" } }\n' },
      'switchyard-real-claude-',
    );
    cache = new RepoCache(hosted.dataDir);
    const worktree = cache.worktreeDir(hosted.repo, runId);
    model = await startModelServer([
      { tool: 'Read', input: { file_path: join(worktree, 'greeting.txt') } },
      {
        tool: 'Edit',
        input: { file_path: join(worktree, 'greeting.txt'), old_string: 'hello', new_string: 'hello, yard' },
      },
      { tool: 'Bash', input: { command: 'npm test > test-output.txt 2>&1', description: 'Run the tests' } },
      { text: 'Changed the greeting to "hello, yard" and ran the tests.' },
    ]);
  });
  afterAll(async () => {
    await model?.close();
    await hosted?.stop();
  });

  it('edits the worktree with its own tools, runs a command, and reports tokens, turns and cost', async () => {
    const agent = scriptedAgent('claude', CLAUDE ?? '', model.url);
    const outcome = await runTimed(hosted, cache, agent, 'claude', 41, runId);
    expect(outcome.state, outcome.logTail).toBe('succeeded');
    expect(outcome.pushed).toBe(true);
    const show = (file: string) =>
      execa('git', ['--git-dir', join(hosted.twin.dataDir, 'git/o/r.git'), 'show', `agent/41-issue-41:${file}`], {
        reject: false,
      });
    expect((await show('greeting.txt')).stdout).toBe('hello, yard');
    // The command ran headless: acceptEdits alone would have refused it.
    expect((await show('test-output.txt')).exitCode).toBe(0);
    expect(outcome.summary).toBe('Changed the greeting to "hello, yard" and ran the tests.');
    expect(outcome.usage).toMatchObject({ turns: 4, outputTokens: 120 });
    expect(outcome.usage?.inputTokens).toBeGreaterThan(0);
    expect(outcome.usage?.costUsd).toBeGreaterThan(0);
    // Every scripted turn was asked for, and each tool result went back to the model.
    expect(model.requests).toHaveLength(4);
  });
});

describe.runIf(CLAUDE)('the real Claude Code with a run budget', () => {
  let hosted: HostedRepo;
  let model: ModelServer;

  beforeAll(async () => {
    hosted = await hostRepo({ 'greeting.txt': 'hello\n' }, 'switchyard-real-claude-budget-');
    const step = (n: number) => ({
      tool: 'Bash',
      input: { command: `echo step ${n} >> steps.txt`, description: `Step ${n}` },
    });
    model = await startModelServer([step(1), step(2), step(3), step(4), step(5), step(6), { text: 'All steps done.' }]);
  });
  afterAll(async () => {
    await model?.close();
    await hosted?.stop();
  });

  it('gets the budget as --max-budget-usd, stops itself there, and the run says so with its work kept', async () => {
    const agent = scriptedAgent('claude', CLAUDE ?? '', model.url);
    const budget = { maxCostUsd: 0.002, source: 'the $0.0020 a run of the claude agent may cost (maxCostPerRun)' };
    const outcome = await runTimed(
      hosted,
      new RepoCache(hosted.dataDir),
      agent,
      'claude',
      46,
      'claude-real-budget',
      budget,
    );
    expect(outcome.state, outcome.logTail).toBe('failed');
    expect(outcome.reason).toMatch(
      /^Stopped at its budget\. It had spent \$0\.00\d+, over the \$0\.0020 a run of the claude agent may cost \(maxCostPerRun\)\./,
    );
    expect(outcome.pushed).toBe(true);
    const steps = (await shownFrom(hosted, 'agent/46-issue-46')('steps.txt')).stdout.split('\n');
    expect(steps.length).toBeGreaterThanOrEqual(1);
    expect(steps.length).toBeLessThan(6);
  });
});

describe.runIf(GEMINI)('the real Gemini CLI', () => {
  let hosted: HostedRepo;
  let model: ModelServer;
  let cache: RepoCache;
  const runId = 'gemini-real-1';

  beforeAll(async () => {
    hosted = await hostRepo({ 'greeting.txt': 'hello\n' }, 'switchyard-real-gemini-');
    cache = new RepoCache(hosted.dataDir);
    const worktree = cache.worktreeDir(hosted.repo, runId);
    model = await startModelServer([
      { tool: 'write_file', input: { file_path: join(worktree, 'greeting.txt'), content: 'hello, yard\n' } },
      { tool: 'run_shell_command', input: { command: 'ls > listing.txt', description: 'List the files' } },
      { text: 'Changed the greeting and listed the files.' },
    ]);
  });
  afterAll(async () => {
    await model?.close();
    await hosted?.stop();
  });

  it('edits the worktree with its own tools headless, runs a command, and reports tokens and requests', async () => {
    const agent = scriptedAgent('gemini', GEMINI ?? '', model.url);
    const outcome = await runTimed(hosted, cache, agent, 'gemini', 42, runId);
    expect(outcome.state, outcome.logTail).toBe('succeeded');
    const show = (file: string) =>
      execa('git', ['--git-dir', join(hosted.twin.dataDir, 'git/o/r.git'), 'show', `agent/42-issue-42:${file}`], {
        reject: false,
      });
    expect((await show('greeting.txt')).stdout).toBe('hello, yard');
    // --yolo holds headless only in a trusted folder: the command ran.
    expect((await show('listing.txt')).stdout).toContain('greeting.txt');
    expect(outcome.summary).toBe('Changed the greeting and listed the files.');
    expect(outcome.usage).toEqual({ inputTokens: 360, outputTokens: 90, turns: 3, costUsd: undefined });
    expect(model.requests).toHaveLength(3);
  });
});

/** A file of the pushed branch, as the twin's repository has it. */
function shownFrom(hosted: HostedRepo, branch: string) {
  return (file: string) =>
    execa('git', ['--git-dir', join(hosted.twin.dataDir, 'git/o/r.git'), 'show', `${branch}:${file}`], {
      reject: false,
    });
}

describe.runIf(CODEX)('the real Codex', () => {
  let hosted: HostedRepo;
  let model: ModelServer;
  let cache: RepoCache;

  beforeAll(async () => {
    hosted = await hostRepo({ 'greeting.txt': 'hello\n' }, 'switchyard-real-codex-');
    cache = new RepoCache(hosted.dataDir);
    model = await startModelServer([
      { tool: 'exec_command', input: { cmd: "printf 'hello, yard\\n' > greeting.txt" } },
      { tool: 'exec_command', input: { cmd: 'ls > listing.txt' } },
      { text: 'Changed the greeting and listed the files.' },
    ]);
  });
  afterAll(async () => {
    await model?.close();
    await hosted?.stop();
  });

  it('runs commands headless through the Responses API, writes its last message, and reports tokens', async () => {
    const agent = scriptedAgent('codex', CODEX ?? '', model.url);
    const outcome = await runTimed(hosted, cache, agent, 'codex', 43, 'codex-real-1');
    expect(outcome.state, outcome.logTail).toBe('succeeded');
    const show = shownFrom(hosted, 'agent/43-issue-43');
    expect((await show('greeting.txt')).stdout).toBe('hello, yard');
    expect((await show('listing.txt')).stdout).toContain('greeting.txt');
    expect(outcome.summary).toBe('Changed the greeting and listed the files.');
    expect(outcome.usage).toEqual({ inputTokens: 360, outputTokens: 90 });
    expect(model.requests).toHaveLength(3);
  });
});

describe.runIf(OPENCODE)('the real opencode', () => {
  let hosted: HostedRepo;
  let model: ModelServer;
  let cache: RepoCache;

  beforeAll(async () => {
    hosted = await hostRepo({ 'greeting.txt': 'hello\n' }, 'switchyard-real-opencode-');
    cache = new RepoCache(hosted.dataDir);
  });
  afterEach(async () => {
    await model?.close();
  });
  afterAll(async () => {
    await hosted?.stop();
  });

  const opencode = () => scriptedAgent('opencode', OPENCODE ?? '', model.url);

  it('edits the worktree and runs a command headless, and reports steps, tokens and cost', async () => {
    model = await startModelServer([
      {
        tool: 'bash',
        input: { command: "printf 'hello, yard\\n' > greeting.txt", description: 'Change the greeting' },
      },
      { tool: 'bash', input: { command: 'ls > listing.txt', description: 'List the files' } },
      { text: 'Changed the greeting and listed the files.' },
    ]);
    const outcome = await runTimed(hosted, cache, opencode(), 'opencode', 44, 'opencode-real-1');
    expect(outcome.state, outcome.logTail).toBe('succeeded');
    const show = shownFrom(hosted, 'agent/44-issue-44');
    expect((await show('greeting.txt')).stdout).toBe('hello, yard');
    expect((await show('listing.txt')).stdout).toContain('greeting.txt');
    expect(outcome.summary).toBe('Changed the greeting and listed the files.');
    expect(outcome.usage).toMatchObject({ inputTokens: 360, outputTokens: 90, turns: 3 });
    expect(outcome.usage?.costUsd).toBeGreaterThan(0);
  });

  it("is stopped by Switchyard when the cost it reports passes the run's budget, and its work is kept", async () => {
    const step = (n: number) => ({
      tool: 'bash',
      input: { command: `echo step ${n} >> steps.txt && sleep 1`, description: `Step ${n}` },
    });
    model = await startModelServer([
      step(1),
      step(2),
      step(3),
      step(4),
      step(5),
      step(6),
      step(7),
      step(8),
      { text: 'All steps done.' },
    ]);
    // Each scripted step costs the same; the budget holds a little more than two of them.
    const agent = opencode();
    const budget = { maxCostUsd: 0.002, source: 'the $0.0020 a run of the opencode agent may cost (maxCostPerRun)' };
    const outcome = await runTimed(hosted, cache, agent, 'opencode', 45, 'opencode-real-2', budget);
    expect(outcome.state, outcome.logTail).toBe('failed');
    expect(outcome.reason).toMatch(
      /^Stopped at its budget\. It had spent \$0\.00\d+, over the \$0\.0020 a run of the opencode agent may cost \(maxCostPerRun\)\. The work it had done is kept on the branch\.$/,
    );
    expect(outcome.pushed).toBe(true);
    const steps = (await shownFrom(hosted, 'agent/45-issue-45')('steps.txt')).stdout.split('\n');
    // The third step's cost passes the budget; the agent is killed before it can spend much more
    // (a fourth step may have begun in the moment it took).
    expect(steps[0]).toBe('step 1');
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(steps.length).toBeLessThanOrEqual(4);
  });
});
