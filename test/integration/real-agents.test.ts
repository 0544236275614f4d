/**
 * The presets against the real agent CLIs, installed from the npm registry, each talking to a
 * scripted model server instead of a provider: the real binary reads a file, edits it with its
 * own tools and runs a command; Switchyard commits and pushes what it did and reads its report.
 * A CLI that is not installed is skipped with a note (.ci/run installs them).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentDefinition, type AgentDefinition } from '../../src/config/agents.ts';
import { Redactor } from '../../src/log/redact.ts';
import { Runner, type RunOutcome } from '../../src/runner/execute.ts';
import { RepoCache } from '../../src/runner/repo-cache.ts';
import { hostRepo, type HostedRepo } from '../support/hosted-repo.ts';
import { startModelServer, type ModelServer } from '../support/model-server.ts';
import { runRequest } from '../support/run-request.ts';

function resolveBinary(specifier: string): string | undefined {
  try {
    const path = createRequire(import.meta.url).resolve(specifier);
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const CLAUDE = process.env.SWITCHYARD_CLAUDE_BIN ?? resolveBinary('@anthropic-ai/claude-code/bin/claude.exe');
if (!CLAUDE) console.warn('real-agents: @anthropic-ai/claude-code is not installed; the Claude Code contract test is skipped');
const GEMINI = process.env.SWITCHYARD_GEMINI_BIN ?? resolveBinary('@google/gemini-cli/bundle/gemini.js');
if (!GEMINI) console.warn('real-agents: @google/gemini-cli is not installed; the Gemini CLI contract test is skipped');

/** What keeps a CLI quiet and local: no telemetry, no update checks, no error reports. */
const OFFLINE = { DISABLE_TELEMETRY: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', DISABLE_ERROR_REPORTING: '1' };

/** One run of `agent` through the real runner, and its figures on a line: the run, the agent, and what Switchyard added. */
async function runTimed(hosted: HostedRepo, cache: RepoCache, agent: AgentDefinition, name: string, issue: number, runId: string): Promise<RunOutcome> {
  const runner = new Runner({ cache, identity: { name: 'bot', email: 'bot@x.invalid' }, redactor: new Redactor([hosted.token]), sandbox: { kind: 'none', dataDir: hosted.dataDir, secretFiles: [] } });
  const started = performance.now();
  const outcome = await runner.execute(runRequest(hosted.repo, hosted.token, issue, [name], { runId, agent, agentName: name, timeoutMs: 120_000 }));
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ agent: name, run_s: Number(seconds.toFixed(2)), agent_s: outcome.agentMs / 1000, overhead_s: Number((seconds - outcome.agentMs / 1000).toFixed(2)) }));
  return outcome;
}

describe.runIf(CLAUDE)('the real Claude Code', () => {
  let hosted: HostedRepo;
  let model: ModelServer;
  let cache: RepoCache;
  const runId = 'claude-real-1';

  beforeAll(async () => {
    hosted = await hostRepo({ 'greeting.txt': 'hello\n', 'package.json': '{ "scripts": { "test": "node -e \\"process.exit(0)\\"" } }\n' }, 'switchyard-real-claude-');
    cache = new RepoCache(hosted.dataDir);
    const worktree = cache.worktreeDir(hosted.repo, runId);
    model = await startModelServer([
      { tool: 'Read', input: { file_path: join(worktree, 'greeting.txt') } },
      { tool: 'Edit', input: { file_path: join(worktree, 'greeting.txt'), old_string: 'hello', new_string: 'hello, yard' } },
      { tool: 'Bash', input: { command: 'npm test > test-output.txt 2>&1', description: 'Run the tests' } },
      { text: 'Changed the greeting to "hello, yard" and ran the tests.' },
    ]);
  });
  afterAll(async () => {
    await model?.close();
    await hosted?.stop();
  });

  it('edits the worktree with its own tools, runs a command, and reports tokens, turns and cost', async () => {
    const agent = agentDefinition.parse({ kind: 'claude', executable: CLAUDE, env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'sk-ant-scripted', ...OFFLINE } });
    const outcome = await runTimed(hosted, cache, agent, 'claude', 41, runId);
    expect(outcome.state, outcome.logTail).toBe('succeeded');
    expect(outcome.pushed).toBe(true);
    const show = (file: string) => execa('git', ['--git-dir', join(hosted.twin.dataDir, 'git/o/r.git'), 'show', `agent/41-issue-41:${file}`], { reject: false });
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
    // An explicit model: without one the CLI first asks a router model that the scripted server does not play.
    const agent = agentDefinition.parse({ kind: 'gemini', executable: GEMINI, model: 'gemini-2.5-flash', env: { GOOGLE_GEMINI_BASE_URL: model.url, GEMINI_API_KEY: 'scripted-key' } });
    const outcome = await runTimed(hosted, cache, agent, 'gemini', 42, runId);
    expect(outcome.state, outcome.logTail).toBe('succeeded');
    const show = (file: string) => execa('git', ['--git-dir', join(hosted.twin.dataDir, 'git/o/r.git'), 'show', `agent/42-issue-42:${file}`], { reject: false });
    expect((await show('greeting.txt')).stdout).toBe('hello, yard');
    // --yolo holds headless only in a trusted folder: the command ran.
    expect((await show('listing.txt')).stdout).toContain('greeting.txt');
    expect(outcome.summary).toBe('Changed the greeting and listed the files.');
    expect(outcome.usage).toEqual({ inputTokens: 360, outputTokens: 90, turns: 3, costUsd: undefined });
    expect(model.requests).toHaveLength(3);
  });
});
