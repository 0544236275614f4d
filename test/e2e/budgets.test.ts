/**
 * Cost budgets end to end: an agent with a daily budget spends it, the next run is stopped where
 * the budget ends with its work kept, and the one after waits for the next UTC day, each saying so
 * in its status comment. The agent is the opencode preset pointed at a stand-in that prints
 * opencode's JSON events (the real opencode's events are checked in real-agents.test.ts).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLabel, lastRun, openIssue, startStack, statusShowing, type Stack } from '../support/stack.ts';

// Three steps at $0.30 each, each writing a line; opencode's `step_finish` events carry the cost.
const METERED_OPENCODE = `#!/usr/bin/env node
const { appendFileSync } = require('node:fs');
const step = (n) => {
  appendFileSync('work.txt', 'step ' + n + '\\n');
  console.log(JSON.stringify({ type: 'step_start', part: {} }));
  console.log(JSON.stringify({ type: 'step_finish', part: { tokens: { input: 1000, output: 100, cache: { read: 0, write: 0 } }, cost: 0.3 } }));
};
let n = 0;
const next = () => {
  n += 1;
  step(n);
  if (n < 3) setTimeout(next, 300);
  else console.log(JSON.stringify({ type: 'text', part: { text: 'Did three steps.' } }));
};
next();
`;

describe('cost budgets', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-budget-'));
    const executable = join(dir, 'opencode');
    await writeFile(executable, METERED_OPENCODE);
    await chmod(executable, 0o755);
    stack = await startStack({
      agents: {
        metered: { kind: 'opencode', executable, args: [], timeout: 60_000, passEnv: [], env: {}, maxCostPerDay: 1 },
      },
      // Reachable by the sandbox's account where the suite runs as root.
      env: { SWITCHYARD_SANDBOX: 'none' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("spends the day's budget, stops the run that reaches it, and holds the next until tomorrow", async () => {
    const first = await openIssue(stack, 'First metered change', 'Do three steps.');
    await addLabel(stack, first, 'agent:metered');
    const done = await statusShowing(stack, first, 'Succeeded');
    expect(done).toContain('$0.9000');

    // $0.10 is left of the day: the first step's $0.30 passes it and the agent is stopped there.
    const second = await openIssue(stack, 'Second metered change', 'Do three steps.');
    await addLabel(stack, second, 'agent:metered');
    const stopped = await statusShowing(stack, second, 'Failed');
    expect(stopped).toContain(
      "Stopped at its budget. It had spent $0.3000, over what was left of the metered agent's daily budget of $1.00 (maxCostPerDay): $0.1000. The work it had done is kept on the branch.",
    );
    const run = await lastRun(stack, second);
    expect(run?.usage?.costUsd).toBe(0.3);

    const third = await openIssue(stack, 'Third metered change', 'Do three steps.');
    await addLabel(stack, third, 'agent:metered');
    const waiting = await statusShowing(stack, third, 'waits: the metered agent has spent $1.20 today');
    expect(waiting).toContain('its daily budget of $1.00 (maxCostPerDay). Its runs start again after 00:00 UTC.');
    expect((await lastRun(stack, third))?.state).toBe('waiting');
  });
});
