import { describe, expect, it } from 'vitest';
import { finalState, reasonAfter, wantsPullRequest } from '../../src/domain/final-state.ts';
import { failedOutcome, type RunOutcome } from '../../src/domain/outcome.ts';

const succeeded = (changes: Partial<RunOutcome> = {}): RunOutcome => ({
  ...failedOutcome(undefined),
  state: 'succeeded',
  changed: true,
  pushed: true,
  agentMs: 1200,
  ...changes,
});

describe('a run’s final state', () => {
  it('asks for a pull request only for a success that pushed a change', () => {
    expect(wantsPullRequest(succeeded())).toBe(true);
    expect(wantsPullRequest(succeeded({ changed: false, pushed: false }))).toBe(false);
    expect(wantsPullRequest({ ...succeeded(), state: 'failed' })).toBe(false);
  });

  it('is the outcome with its pull request when one was opened', () => {
    const fields = finalState(succeeded(), { elapsedMs: 5000 }, { kind: 'opened', number: 12, url: 'u' }, 'agent/1-x');
    expect(fields).toMatchObject({ state: 'succeeded', pullRequestNumber: 12, pullRequestUrl: 'u', keptBranch: false });
  });

  it('fails, keeping the branch, when GitHub refused the pull request', () => {
    const fields = finalState(
      succeeded(),
      { elapsedMs: 0 },
      { kind: 'refused', problem: 'Validation Failed' },
      'agent/1-x',
    );
    expect(fields.state).toBe('failed');
    expect(fields.keptBranch).toBe(true);
    expect(fields.reason).toBe(
      'The changes are on branch `agent/1-x`, but the pull request could not be opened: Validation Failed',
    );
  });

  it('opens none after a closed one, and says how to get one', () => {
    const fields = finalState(succeeded(), { elapsedMs: 0 }, { kind: 'closed-earlier', number: 4 }, 'agent/1-x');
    expect(fields).toMatchObject({ state: 'succeeded', keptBranch: true, pullRequestNumber: null });
    expect(fields.reason).toContain('Pull request #4 was closed without merging');
  });

  it('keeps the work of a failed run that pushed, and says why a cancelled one stopped', () => {
    expect(finalState({ ...succeeded(), state: 'timed_out' }, { elapsedMs: 0 }, undefined, 'b').keptBranch).toBe(true);
    const cancelled = { ...succeeded(), state: 'cancelled' as const, reason: 'The run was cancelled after 2.0 s.' };
    expect(reasonAfter(cancelled, { cancelReason: '@octocat removed the label', elapsedMs: 2100 })).toBe(
      'Cancelled after 2.1 s: @octocat removed the label.',
    );
    expect(reasonAfter({ ...succeeded(), state: 'failed' }, { shutDownForGood: true, elapsedMs: 0 })).toBe(
      'The worker running it shut down, and no retry is left.',
    );
  });
});
