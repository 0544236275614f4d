/**
 * The operator path, measured: a cold start of `switchyard start` (embedded database, fresh data
 * directory) to a ready `/healthz`, and runs of each real agent CLI that is installed against the
 * scripted model server, through the real runner in the default sandbox: the run, the agent's
 * part, and what Switchyard adds (worktree, token-free commit, push). Last line: JSON.
 *
 * The CLIs are found as the contract tests find them (test/support/agent-clis.ts). A CLI under /tmp
 * runs unsandboxed: the sandbox covers /tmp.
 */
import { generateKeyPairSync } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_STEPS, type StepTimings } from '../src/domain/steps.ts';
import { Redactor } from '../src/log/redact.ts';
import { Runner } from '../src/runner/execute.ts';
import { RepoCache } from '../src/runner/repo-cache.ts';
import { agentCli, defaultSandbox, scriptedAgent, type AgentCli } from '../test/support/agent-clis.ts';
import { hostRepo } from '../test/support/hosted-repo.ts';
import { startModelServer, type ScriptedTurn } from '../test/support/model-server.ts';
import { runRequest } from '../test/support/run-request.ts';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 3);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Number((sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(2));
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** Seconds from spawning `switchyard start` to its first 200 from /healthz. */
async function coldStart(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-start-'));
  // Reachable by the sandbox's account, as a real data directory would be.
  await chmod(dir, 0o755);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(join(dir, 'app.pem'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/switchyard.js', 'start'], {
    env: {
      PATH: process.env.PATH,
      APP_ID: '1',
      PRIVATE_KEY_PATH: join(dir, 'app.pem'),
      WEBHOOK_SECRET: 'bench',
      SWITCHYARD_DATA_DIR: join(dir, 'data'),
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`switchyard start exited with ${child.exitCode}: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return (performance.now() - started) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

interface Contender {
  name: AgentCli;
  script: (worktree: string) => ScriptedTurn[];
}

const CONTENDERS: Contender[] = [
  {
    name: 'claude',
    script: (worktree) => [
      {
        tool: 'Edit',
        input: { file_path: join(worktree, 'greeting.txt'), old_string: 'hello', new_string: 'hello, yard' },
      },
      { tool: 'Bash', input: { command: 'ls > listing.txt', description: 'List' } },
      { text: 'Done.' },
    ],
  },
  {
    name: 'codex',
    script: () => [
      { tool: 'exec_command', input: { cmd: "printf 'hello, yard\\n' > greeting.txt" } },
      { tool: 'exec_command', input: { cmd: 'ls > listing.txt' } },
      { text: 'Done.' },
    ],
  },
  {
    name: 'gemini',
    script: (worktree) => [
      { tool: 'write_file', input: { file_path: join(worktree, 'greeting.txt'), content: 'hello, yard\n' } },
      { tool: 'run_shell_command', input: { command: 'ls > listing.txt', description: 'List' } },
      { text: 'Done.' },
    ],
  },
  {
    name: 'opencode',
    script: () => [
      { tool: 'bash', input: { command: "printf 'hello, yard\\n' > greeting.txt", description: 'Edit' } },
      { tool: 'bash', input: { command: 'ls > listing.txt', description: 'List' } },
      { text: 'Done.' },
    ],
  },
];

const figures: Record<string, number | string> = {};
const starts: number[] = [];
for (let i = 0; i < SAMPLES; i++) starts.push(await coldStart());
figures.cold_start_s = median(starts);
console.log(`cold start to a ready /healthz: ${starts.map((s) => s.toFixed(2)).join(', ')} s`);

const hosted = await hostRepo({ 'greeting.txt': 'hello\n' }, 'switchyard-bench-agents-');
try {
  const cache = new RepoCache(hosted.dataDir);
  figures.sandbox = (await defaultSandbox(hosted.dataDir, '')).kind;
  let issue = 100;
  for (const contender of CONTENDERS) {
    const bin = agentCli(contender.name);
    if (!bin) {
      console.log(`${contender.name}: not installed (set SWITCHYARD_${contender.name.toUpperCase()}_BIN)`);
      continue;
    }
    const sandbox = await defaultSandbox(hosted.dataDir, bin);
    const runs: number[] = [];
    const agentSeconds: number[] = [];
    const stepSamples: StepTimings[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      issue += 1;
      const runId = `bench-${contender.name}-${i}`;
      const model = await startModelServer(contender.script(cache.worktreeDir(hosted.repo, runId)));
      try {
        const agent = scriptedAgent(contender.name, bin, model.url);
        const runner = new Runner({
          cache,
          identity: { name: 'bot', email: 'bot@x.invalid' },
          redactor: new Redactor([hosted.token]),
          sandbox,
        });
        const started = performance.now();
        const outcome = await runner.execute(
          runRequest(hosted.repo, hosted.token, issue, ['true'], {
            runId,
            agent,
            agentName: contender.name,
            timeoutMs: 120_000,
          }),
        );
        if (outcome.state !== 'succeeded' || !outcome.pushed)
          throw new Error(`${contender.name}: ${outcome.state} ${outcome.reason ?? ''}\n${outcome.logTail}`);
        runs.push((performance.now() - started) / 1000);
        agentSeconds.push(outcome.agentMs / 1000);
        stepSamples.push(outcome.steps ?? {});
      } finally {
        await model.close();
      }
    }
    const overhead = runs.map((run, i) => run - (agentSeconds[i] ?? 0));
    figures[`${contender.name}_run_s`] = median(runs);
    figures[`${contender.name}_agent_s`] = median(agentSeconds);
    figures[`${contender.name}_overhead_s`] = median(overhead);
    console.log(
      `${contender.name}: run ${median(runs)} s, of which the agent ${median(agentSeconds)} s and Switchyard ${median(overhead)} s (median of ${SAMPLES})`,
    );
    const steps = RUN_STEPS.filter((step) => step !== 'agent' && stepSamples.some((s) => s[step] !== undefined));
    console.log(
      `  steps, ms (median): ${steps.map((step) => `${step} ${median(stepSamples.map((s) => s[step] ?? 0))}`).join(' · ')}`,
    );
  }
} finally {
  await hosted.stop();
}
console.log(JSON.stringify(figures));
