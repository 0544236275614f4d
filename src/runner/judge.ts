/** How an agent's process ended, in the words of the status comment. */
import type { RunRequest } from './request.ts';
import type { RunOutcome } from '../domain/outcome.ts';
import type { ProcessResult } from './process.ts';
import { DEFAULT_LIMITS } from '../domain/limits.ts';
import { limitSentence } from './limits.ts';

function formatSeconds(ms: number): string {
  return ms % 60_000 === 0 && ms >= 60_000 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}

/** The result of an agent that could not be started: `problem` says why. */
export function notStarted(problem: string): ProcessResult {
  return {
    exitCode: undefined,
    signal: undefined,
    timedOut: false,
    stalled: false,
    cancelled: false,
    startError: problem,
    durationMs: 0,
    outputTail: '',
    stdoutTail: '',
  };
}

/** The state and reason of a run from its agent's process result. */
export function judge(request: RunRequest, result: ProcessResult): Pick<RunOutcome, 'state' | 'reason'> {
  const seconds = (result.durationMs / 1000).toFixed(1);
  if (result.limit)
    return { state: 'over_limit', reason: limitSentence(result.limit, request.limits ?? DEFAULT_LIMITS, seconds) };
  if (result.stalled)
    return {
      state: 'stalled',
      reason: `The agent printed nothing and changed no file for ${formatSeconds(request.stallMs ?? 0)} and was stopped after ${seconds} s.`,
    };
  if (result.timedOut)
    return {
      state: 'timed_out',
      reason: `The agent did not finish within its time limit of ${formatSeconds(request.timeoutMs)} and was stopped after ${seconds} s.`,
    };
  if (result.cancelled) return { state: 'cancelled', reason: `The run was cancelled after ${seconds} s.` };
  if (result.startError) return { state: 'failed', reason: result.startError };
  if (result.exitCode !== 0) {
    if (request.agent.kind === 'patch') {
      const cause = result.outputTail.split('\n').find((line) => line.startsWith('error:')) ?? 'git apply failed';
      return { state: 'failed', reason: `The diff in the issue body does not apply: ${cause}` };
    }
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${String(result.exitCode)}`;
    return { state: 'failed', reason: `The ${request.agentName} agent ${how}.` };
  }
  return { state: 'succeeded', reason: undefined };
}
