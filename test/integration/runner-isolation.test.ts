/** The runner's promises: nothing outlives a run, nothing leaks between runs, nothing escapes the sandbox. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentDefinition } from '../../src/config/agents.ts';
import { Redactor } from '../../src/log/redact.ts';
import { Runner } from '../../src/runner/execute.ts';
import type { RunRequest } from '../../src/runner/request.ts';
import { RepoCache } from '../../src/runner/repo-cache.ts';
import { RunLog } from '../../src/runner/run-log.ts';
import { checkSandbox, type SandboxCheck, type SandboxKind } from '../../src/runner/sandbox.ts';
import type { RepoRef } from '../../src/domain/run.ts';
import { runRequest } from '../support/run-request.ts';
import { processesUnder } from '../support/processes.ts';
import type { GitHubTwin } from '@switchyard/github-twin';
import { hostRepo, type HostedRepo } from '../support/hosted-repo.ts';

describe('runner isolation', () => {
  let hosted: HostedRepo;
  let twin: GitHubTwin;
  let dataDir: string;
  let cache: RepoCache;
  let repo: RepoRef;
  let token: string;
  let counter = 100;
  let sandboxCheck: SandboxCheck = { user: undefined, disableNestedUserns: false };
  const runner = (sandbox: SandboxKind = 'none', secretFiles: string[] = []) =>
    new Runner({
      cache,
      identity: { name: 'bot', email: 'bot@x.invalid' },
      redactor: new Redactor([token]),
      sandbox: { kind: sandbox, dataDir, secretFiles, ...sandboxCheck },
      graceMs: 300,
    });
  const git = (...args: string[]) => execa('git', ['--git-dir', join(twin.dataDir, 'git/o/r.git'), ...args]);

  beforeAll(async () => {
    hosted = await hostRepo({ '.gitignore': 'build/\nnode_modules/\n', 'src/a.txt': 'a\n' }, 'switchyard-isolation-');
    ({ twin, repo, token, dataDir } = hosted);
    cache = new RepoCache(dataDir);
    if (existsSync('/usr/bin/bwrap')) sandboxCheck = await checkSandbox('bubblewrap', { dataDir });
  });
  afterAll(async () => {
    await hosted.stop();
  });

  const request = (command: string[], overrides: Partial<RunRequest> = {}): RunRequest =>
    runRequest(repo, token, counter, command, {
      keep: ['node_modules'],
      ...overrides,
      issue: {
        number: counter,
        title: `Issue ${counter}`,
        body: 'body',
        labels: ['bug'],
        url: `https://x/${counter++}`,
        author: 'a',
      },
    });

  it('ends an agent that ignores SIGTERM, with its grandchild, at the timeout', async () => {
    const stubborn = [
      'sh',
      '-c',
      'trap "" TERM; (trap "" TERM; sleep 60; echo late > late.txt) & echo started; sleep 60; wait',
    ];
    const outcome = await runner().execute(request(stubborn, { timeoutMs: 800 }));
    expect(outcome.state).toBe('timed_out');
    expect(outcome.reason).toMatch(/time limit of 0.8 s and was stopped after \d/);
    expect(await processesUnder(dataDir)).toEqual([]);
    const { stdout } = await execa('ps', ['-eo', 'args']);
    expect(stdout).not.toContain('late > late.txt');
    expect(await cache.worktrees(repo)).toEqual([]);
  });

  it('keeps the work of a run that timed out on its pushed branch', async () => {
    const req = request(['sh', '-c', 'echo half > half.txt; sleep 60'], { timeoutMs: 500 });
    const outcome = await runner().execute(req);
    expect(outcome).toMatchObject({ state: 'timed_out', changed: true, pushed: true });
    expect((await git('show', `${req.branch}:half.txt`)).stdout).toBe('half');
  });

  it('ends an agent that prints nothing and changes no file as stalled, and keeps what it did', async () => {
    const req = request(['sh', '-c', 'echo partial > partial.txt; sleep 60'], { stallMs: 700 });
    const outcome = await runner().execute(req);
    expect(outcome.state).toBe('stalled');
    expect(outcome.reason).toMatch(/printed nothing and changed no file for 0.7 s and was stopped after \d/);
    expect(outcome).toMatchObject({ changed: true, pushed: true });
    expect(await processesUnder(dataDir)).toEqual([]);
  });

  it('leaves an agent alone that works quietly on files or keeps printing, and passes on its newest line', async () => {
    const lines: string[] = [];
    const quiet = await runner().execute(
      request(['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do echo $i > count.txt; sleep 0.25; done'], { stallMs: 700 }),
    );
    expect(quiet.state).toBe('succeeded');
    const chatty = await runner().execute(
      request(['sh', '-c', `for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "step $i with ${token}"; sleep 0.25; done`], {
        stallMs: 700,
        onProgress: (line) => lines.push(line),
      }),
    );
    expect(chatty.state).toBe('succeeded');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => /^step \d+ with \[REDACTED\]$/.test(line))).toBe(true);
  });

  it('cancels a running agent through its signal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('label removed')), 300);
    const outcome = await runner().execute(request(['sleep', '60'], { signal: controller.signal }));
    expect(outcome.state).toBe('cancelled');
    expect(await processesUnder(dataDir)).toEqual([]);
  });

  it('writes the context files for the agent and leaves them out of the commit', async () => {
    const req = request([
      'sh',
      '-c',
      'cp .switchyard/context.json seen-context.json; cp .switchyard/CONTEXT.md seen.md; test -s .switchyard/prompt.md',
    ]);
    const outcome = await runner().execute(req);
    expect(outcome.state).toBe('succeeded');
    const context = JSON.parse((await git('show', `${req.branch}:seen-context.json`)).stdout) as Record<
      string,
      unknown
    >;
    expect(context).toMatchObject({
      repository: 'o/r',
      agent: 'test',
      runId: req.runId,
      attempt: 1,
      branch: req.branch,
      baseBranch: 'main',
      baseCommit: outcome.baseSha,
    });
    expect(context.issue).toMatchObject({ number: req.issue.number, labels: ['bug'] });
    expect(Date.parse(String(context.deadline))).toBeGreaterThan(Date.now());
    expect((await git('show', `${req.branch}:seen.md`)).stdout).toContain(`# Switchyard run ${req.runId}`);
    const files = (await git('ls-tree', '-r', '--name-only', req.branch)).stdout;
    expect(files).not.toContain('.switchyard');
  });

  it('runs the checks after the agent and records each result and duration', async () => {
    const req = request(['sh', '-c', 'echo ok > checked.txt'], {
      checks: { commands: ['test -f checked.txt', 'echo failing >&2; exit 3'], timeoutMs: 10_000 },
    });
    const outcome = await runner().execute(req);
    expect(outcome.state).toBe('succeeded');
    expect(outcome.checks.map((c) => [c.command, c.passed, c.exitCode])).toEqual([
      ['test -f checked.txt', true, 0],
      ['echo failing >&2; exit 3', false, 3],
    ]);
    expect(outcome.checks.every((c) => c.durationMs >= 0)).toBe(true);
    expect(await readFile(outcome.logFile ?? '', 'utf8')).toContain('--- check: echo failing >&2; exit 3\nfailing');
  });

  it('reuses a warm worktree without leaking any file of the previous run but the keep-list', async () => {
    const dirty = request(
      [
        'sh',
        '-c',
        'mkdir -p build node_modules/dep; echo x > build/out.o; echo y > scratch.txt; echo z > node_modules/dep/index.js; echo changed >> src/a.txt',
      ],
      { poolSize: 1 },
    );
    const first = await runner().execute(dirty);
    expect(first.state).toBe('succeeded');
    const inspect = request(
      ['sh', '-c', 'ls -A build scratch.txt node_modules/dep > seen.txt 2>&1; cat src/a.txt >> seen.txt; true'],
      { poolSize: 1 },
    );
    const second = await runner().execute(inspect);
    expect(second.state).toBe('succeeded');
    const seen = (await git('show', `${inspect.branch}:seen.txt`)).stdout;
    expect(seen).toContain("ls: cannot access 'build'");
    expect(seen).toContain("ls: cannot access 'scratch.txt'");
    expect(seen).toContain('index.js');
    expect(seen).not.toContain('changed');
    // One pooled worktree served both runs, and it is still there for the next.
    const pooled = await cache.worktrees(repo);
    expect(pooled).toHaveLength(1);
    expect(pooled[0]).toContain(join(dataDir, 'pool'));
  });

  it('caps and redacts the run log', async () => {
    const path = join(dataDir, 'cap-test.log');
    const log = new RunLog(path, new Redactor([token]), 4096);
    log.write(`token ${token.slice(0, 10)}`);
    log.write(`${token.slice(10)} end\n`);
    for (let i = 0; i < 500; i++) log.write(`line ${i}\n`);
    log.close();
    const text = await readFile(path, 'utf8');
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(text).toContain('line 499');
    expect(text).not.toContain('line 0\n');
    expect(text).toContain('earlier output dropped');
    const small = new RunLog(join(dataDir, 'split.log'), new Redactor([token]));
    small.write(`a ${token.slice(0, 12)}`);
    small.write(`${token.slice(12)} b\n`);
    small.close();
    expect(await readFile(join(dataDir, 'split.log'), 'utf8')).toBe('a [REDACTED] b\n');
  });

  describe.runIf(existsSync('/usr/bin/bwrap'))('with the bubblewrap sandbox', () => {
    it('hides the private key, the data directory and sibling worktrees, and refuses writes outside the worktree', async () => {
      const keyDir = await mkdtemp(join(tmpdir(), 'switchyard-key-'));
      const keyFile = join(keyDir, 'app.pem');
      await writeFile(keyFile, '-----BEGIN RSA PRIVATE KEY-----\nsecret\n-----END RSA PRIVATE KEY-----\n');
      await mkdir(join(dataDir, 'db'), { recursive: true });
      await writeFile(join(dataDir, 'db', 'PG_VERSION'), '17\n');
      const sibling = request(['sleep', '3']);
      const siblingRun = runner('bubblewrap', [keyFile]).execute(sibling);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const siblingPath = cache.worktreeDir(repo, sibling.runId);
      const probe = [
        `cat ${keyFile} > key.txt 2>&1 || echo "no key" >> key.txt`,
        `ls ${join(dataDir, 'db')} > db.txt 2>&1 || echo "no db" >> db.txt`,
        `ls ${siblingPath} > sibling.txt 2>&1 || echo "no sibling" >> sibling.txt`,
        // The data directory is an empty throwaway tmpfs inside: a write there never reaches the real one.
        `echo escape > ${join(dataDir, 'escaped.txt')} 2> write.txt; true`,
        `echo escape > ${join(process.cwd(), 'escaped-from-sandbox.txt')} 2>> write.txt || echo "cwd refused" >> write.txt`,
        'echo pwned > /etc/switchyard-pwned 2>> write.txt || echo "etc refused" >> write.txt',
        'echo $$ > pid.txt',
      ].join('; ');
      const req = request(['sh', '-c', probe]);
      const outcome = await runner('bubblewrap', [keyFile]).execute(req);
      await siblingRun;
      expect(outcome.state).toBe('succeeded');
      const show = async (file: string) => (await git('show', `${req.branch}:${file}`)).stdout;
      expect(await show('key.txt')).not.toContain('secret');
      expect(await show('db.txt')).not.toContain('PG_VERSION');
      expect(await show('sibling.txt')).not.toContain('README.md');
      expect(await show('write.txt')).toContain('cwd refused');
      expect(existsSync(join(process.cwd(), 'escaped-from-sandbox.txt'))).toBe(false);
      expect(await show('write.txt')).toContain('etc refused');
      expect(Number(await show('pid.txt'))).toBeLessThan(10);
      expect(existsSync(join(dataDir, 'escaped.txt'))).toBe(false);
      expect(existsSync('/etc/switchyard-pwned')).toBe(false);
      await rm(keyDir, { recursive: true, force: true });
    });

    it('runs the patch agent inside the sandbox', async () => {
      const body = '```diff\n--- a/src/a.txt\n+++ b/src/a.txt\n@@ -1 +1 @@\n-a\n+b\n```\n';
      const req = {
        ...request(['true']),
        agent: agentDefinition.parse({ kind: 'patch' }),
        issue: { number: 999, title: 't', body, labels: [], url: 'u', author: 'a' },
      };
      const outcome = await runner('bubblewrap').execute(req);
      expect(outcome.state).toBe('succeeded');
      expect((await git('show', `${req.branch}:src/a.txt`)).stdout).toBe('b');
    });
  });
});
