/** A RunRequest for runner tests: a command agent on an issue of the twin repository. */
import { pino } from 'pino';
import { agentDefinition } from '../../src/config/agents.ts';
import type { RunRequest } from '../../src/runner/request.ts';
import type { RepoRef } from '../../src/domain/run.ts';

export function runRequest(
  repo: RepoRef,
  token: string,
  issue: number,
  command: string[],
  overrides: Partial<RunRequest> = {},
): RunRequest {
  return {
    runId: `run-${issue}`,
    repo,
    issue: { number: issue, title: `Issue ${issue}`, body: 'body', labels: [], url: `https://x/${issue}`, author: 'a' },
    agentName: 'test',
    agent: agentDefinition.parse({ kind: 'command', command }),
    branch: `agent/${issue}-issue-${issue}`,
    base: 'main',
    token,
    attempt: 1,
    timeoutMs: 60_000,
    checks: { commands: [], timeoutMs: 60_000 },
    poolSize: 0,
    keep: [],
    log: pino({ level: 'silent' }),
    ...overrides,
  };
}
