import { describe, expect, it } from 'vitest';
import { dailyBudgetWait, overBudgetReason, runBudget, startOfUtcDay } from '../../src/scheduler/budget.ts';
import { DEFAULT_PRIORITY, schedule, type PlanItem } from '../../src/scheduler/schedule.ts';

const item = (issue: number, agent: string): PlanItem => ({
  runId: `run-${issue}`,
  issue,
  state: 'queued',
  priority: DEFAULT_PRIORITY,
  createdAt: issue,
  estimateMs: 1,
  dependsOn: [],
  foreign: [],
  files: [],
  branch: `agent/${issue}`,
  agent,
});

describe('cost budgets', () => {
  it('gives a run the tightest of the per-run limits and what is left of the day', () => {
    expect(
      runBudget({ agentName: 'claude', agent: {}, repository: {}, spentToday: { agent: 0, repository: 0 } }),
    ).toBeUndefined();
    expect(
      runBudget({
        agentName: 'claude',
        agent: { maxCostPerRun: 2 },
        repository: { maxCostPerRun: 1.5 },
        spentToday: { agent: 0, repository: 0 },
      }),
    ).toEqual({
      maxCostUsd: 1.5,
      source: 'the $1.50 a run in this repository may cost (limits.maxCostPerRun)',
    });
    const nearlySpent = runBudget({
      agentName: 'claude',
      agent: { maxCostPerRun: 2, maxCostPerDay: 20 },
      repository: { maxCostPerDay: 50 },
      spentToday: { agent: 19.25, repository: 30 },
    });
    expect(nearlySpent).toEqual({
      maxCostUsd: 0.75,
      source: "what was left of the claude agent's daily budget of $20.00 (maxCostPerDay): $0.7500",
    });
    expect(overBudgetReason(nearlySpent!, 0.81)).toBe(
      "Stopped at its budget. It had spent $0.8100, over what was left of the claude agent's daily budget of $20.00 (maxCostPerDay): $0.7500. The work it had done is kept on the branch.",
    );
  });

  it('holds the runs of an agent or a repository whose day is spent, with the reason and when it clears', () => {
    expect(dailyBudgetWait('claude', { cap: 20, spent: 19.99 }, undefined)).toBeUndefined();
    expect(dailyBudgetWait('claude', { cap: 20, spent: 20.5 }, undefined)).toBe(
      'waits: the claude agent has spent $20.50 today, its daily budget of $20.00 (maxCostPerDay). Its runs start again after 00:00 UTC.',
    );
    expect(dailyBudgetWait('claude', undefined, { cap: 5, spent: 5 })).toMatch(
      /^waits: \$5\.00 has been spent in this repository today, its daily budget of \$5\.00 \(limits\.maxCostPerDay\)/,
    );
    expect(startOfUtcDay(new Date('2026-11-22T23:59:59+05:00')).toISOString()).toBe('2026-11-22T00:00:00.000Z');
  });

  it("lets the scheduler start other agents' runs while one agent's budget is spent", () => {
    const limits = {
      repoConcurrency: 4,
      globalFree: 4,
      maxOpenPullRequests: null,
      openPullRequests: 0,
      runsPerHour: null,
      startedLastHour: 0,
      dailySpend: { agents: { claude: { cap: 1, spent: 1.2 } } },
    };
    const { decisions } = schedule({
      items: [item(1, 'claude'), item(2, 'codex')],
      facts: {},
      release: 'merged',
      limits,
    });
    expect(decisions).toEqual([
      {
        kind: 'wait',
        runId: 'run-1',
        issue: 1,
        cause: 'limit',
        reason:
          'waits: the claude agent has spent $1.20 today, its daily budget of $1.00 (maxCostPerDay). Its runs start again after 00:00 UTC.',
      },
      { kind: 'start', runId: 'run-2', issue: 2, base: undefined },
    ]);
  });
});
