/**
 * How long a run's status comment stays wrong after kill -9 (goal: under 30 s). Each scenario
 * starts Switchyard as real processes, kills one while an agent runs, restarts it at once (as a
 * supervisor would), and times from the kill until the comment tells the truth:
 * - `retry`: the embedded process dies once; true again when the comment shows attempt 2 running;
 * - `exhausted`: it dies during the retry as well; true again when the comment says it failed and why;
 * - `failover` (with BENCH_DATABASE_URL, PostgreSQL): one of two workers dies and stays dead;
 *   true again when the other worker runs attempt 2.
 * Last line: JSON with the seconds of each.
 */
import { writeFile } from 'node:fs/promises';
import { harness, type Harness } from '../test/support/crash-harness.ts';
import { addLabel, eventually, openIssue, statusComment, statusShowing } from '../test/support/stack.ts';

const AGENT_SECONDS = 60;

async function timeUntil(current: Harness, issue: number, truth: RegExp, from: number): Promise<number> {
  let seen = '';
  try {
    await eventually(
      async () => truth.test((seen = (await statusComment(current.stack, issue)) ?? '')) || undefined,
      120_000,
      `comment matching ${truth.source}`,
    );
  } catch (error) {
    if (process.env.BENCH_LOGS) await writeFile(process.env.BENCH_LOGS, current.processes.logs.join('\n'));
    throw new Error(
      `${(error as Error).message}\nlast comment:\n${seen}\nlast log lines:\n${current.processes.logs.slice(-15).join('\n')}`,
      { cause: error },
    );
  }
  return (Date.now() - from) / 1000;
}

async function embedded(twice: boolean): Promise<number> {
  const current = await harness({ database: false, concurrency: 1, agentSeconds: AGENT_SECONDS });
  try {
    const { stack, processes } = current;
    await processes.start('switchyard', 'all');
    const issue = await openIssue(stack, twice ? 'Dies twice' : 'Dies once', 'Slowly.');
    await addLabel(stack, issue, 'agent:slowish');
    await statusShowing(stack, issue, 'Running');
    await processes.kill('switchyard', 'SIGKILL');
    let killedAt = Date.now();
    await processes.start('switchyard', 'all');
    const retry = await timeUntil(current, issue, /attempt 2[\s\S]*\*\*Running\*\*/, killedAt);
    if (!twice) return retry;
    await processes.kill('switchyard', 'SIGKILL');
    killedAt = Date.now();
    await processes.start('switchyard', 'all');
    return await timeUntil(current, issue, /\*\*Failed\*\*[\s\S]*Interrupted 2 times/, killedAt);
  } finally {
    await current.cleanup();
  }
}

async function failover(): Promise<number | undefined> {
  if (!process.env.BENCH_DATABASE_URL) return undefined;
  process.env.SWITCHYARD_TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
  const current = await harness({ database: true, concurrency: 1, agentSeconds: AGENT_SECONDS });
  try {
    const { stack, processes } = current;
    await processes.start('web', 'web');
    await processes.start('worker-1', 'worker');
    const issue = await openIssue(stack, 'Loses its worker', 'Slowly.');
    await addLabel(stack, issue, 'agent:slowish');
    await statusShowing(stack, issue, 'Running');
    await processes.start('worker-2', 'worker');
    await processes.kill('worker-1', 'SIGKILL');
    return await timeUntil(current, issue, /attempt 2[\s\S]*\*\*Running\*\*/, Date.now());
  } finally {
    await current.cleanup();
  }
}

const retry = await embedded(false);
console.log(`retry visible after ${retry.toFixed(1)} s`);
const exhausted = await embedded(true);
console.log(`exhausted retries visible after ${exhausted.toFixed(1)} s`);
const moved = await failover();
if (moved !== undefined) console.log(`failover visible after ${moved.toFixed(1)} s`);
console.log(
  JSON.stringify({
    retry_visible_s: Number(retry.toFixed(1)),
    exhausted_visible_s: Number(exhausted.toFixed(1)),
    failover_visible_s: moved === undefined ? null : Number(moved.toFixed(1)),
    goal_s: 30,
  }),
);
