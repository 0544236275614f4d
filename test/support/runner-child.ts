/**
 * A stand-in Switchyard process for crash tests: runs the runner on the runs it is given (or
 * just holds a worktree) until it is killed. Input: SWITCHYARD_CHILD as JSON.
 */
import { Redactor } from '../../src/log/redact.ts';
import { Runner } from '../../src/runner/execute.ts';
import { RepoCache } from '../../src/runner/repo-cache.ts';
import type { RepoRef } from '../../src/domain/run.ts';
import { runRequest } from './run-request.ts';

interface ChildInput {
  dataDir: string;
  repo: RepoRef;
  token: string;
  mode: 'runs' | 'hold';
  runs: Array<{ runId: string; issue: number; command: string[] }>;
}

const input = JSON.parse(process.env.SWITCHYARD_CHILD ?? '{}') as ChildInput;
const cache = new RepoCache(input.dataDir);
if (input.mode === 'hold') {
  const worktree = await cache.prepare({
    repo: input.repo,
    token: input.token,
    runId: 'live-run',
    branch: 'agent/77-live',
    base: 'main',
  });
  console.log(`holding ${worktree.path}`);
  setInterval(() => undefined, 60_000);
} else {
  const runner = new Runner({
    cache,
    identity: { name: 'bot', email: 'bot@x.invalid' },
    redactor: new Redactor([input.token]),
    sandbox: { kind: 'none', dataDir: input.dataDir, secretFiles: [] },
  });
  await Promise.all(
    input.runs.map((run) =>
      runner.execute(
        runRequest(input.repo, input.token, run.issue, run.command, { runId: run.runId, timeoutMs: 600_000 }),
      ),
    ),
  );
}
