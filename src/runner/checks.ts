/** The repository's checks, run after the agent in the same worktree and sandbox. */
import type { CheckResult } from '../domain/run.ts';
import { runProcess, type ProcessOptions } from './process.ts';

export interface CheckOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  graceMs: number;
  signal?: AbortSignal;
  /** Wraps an argv for the sandbox. */
  wrap: (argv: readonly string[]) => string[];
  /** The account checks run as, like the agent. */
  user?: { uid: number; gid: number } | undefined;
  /** The agent's limits, which hold for each check too. */
  limits?: ProcessOptions['limits'];
  onOutput: (text: string) => void;
  onStart: (command: string) => void;
}

/** Runs each command with `sh -c` (repository-authored text, never issue text); stops at a cancel. */
export async function runChecks(commands: readonly string[], options: CheckOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const command of commands) {
    if (options.signal?.aborted) break;
    options.onStart(command);
    const result = await runProcess(options.wrap(['sh', '-c', command]), {
      cwd: options.cwd,
      env: options.env,
      timeoutMs: options.timeoutMs,
      graceMs: options.graceMs,
      onOutput: options.onOutput,
      user: options.user,
      limits: options.limits,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    results.push({
      command,
      passed: result.exitCode === 0,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      durationMs: Math.round(result.durationMs),
    });
  }
  return results;
}
