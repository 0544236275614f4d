/**
 * Durable jobs: lost workers, crashed processes and shutdowns never lose or double a run.
 * These start Switchyard as separate processes and kill them for real.
 */
import { writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { processesUnder } from '../support/processes.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, POSTGRES, pullsFor, type Harness } from '../support/crash-harness.ts';
import { addLabel, eventually, OWNER, openIssue, REPO, statusComment, statusShowing } from '../support/stack.ts';

describe('durability', () => {
  let current: Harness | undefined;
  afterEach(async () => {
    // SWITCHYARD_TEST_LOGS=<file> keeps the processes' logs of the last test, to read after a failure.
    if (process.env.SWITCHYARD_TEST_LOGS && current)
      await writeFile(process.env.SWITCHYARD_TEST_LOGS, current.processes.logs.join('\n'));
    await current?.cleanup();
    current = undefined;
  });

  it.runIf(POSTGRES)(
    'finishes a run on the other worker when its worker is killed with -9; one pull request; the comment tells the story',
    async () => {
      current = await harness({ database: true, concurrency: 1, agentSeconds: 6 });
      const { stack, processes } = current;
      await processes.start('web', 'web');
      await processes.start('worker-1', 'worker');
      await processes.start('worker-2', 'worker');
      const issue = await openIssue(stack, 'Survive a lost worker', 'Take your time.');
      await addLabel(stack, issue, 'agent:slowish');
      await statusShowing(stack, issue, 'Running');

      const run = await eventually(
        async () => (await stack.store.listRuns()).find((r) => r.issueNumber === issue && r.state === 'running'),
        10_000,
        'running run',
      );
      const [attempt] = await stack.attempts.list(run.id);
      const victim = [...processes.processes.values()].find(
        (p) => attempt && attempt.worker.endsWith(`:${String(p.subprocess.pid)}`),
      );
      expect(victim?.role).toBe('worker');
      await processes.kill(victim?.name ?? '', 'SIGKILL');

      const status = await statusShowing(stack, issue, 'Succeeded', 90_000);
      expect(status).toContain('attempt 2');
      expect(await pullsFor(stack, issue)).toHaveLength(1);
      const attempts = await stack.attempts.list(run.id);
      expect(attempts.map((a) => a.outcome)).toEqual(['interrupted', 'succeeded']);
      expect(attempts[1]?.worker).not.toBe(attempts[0]?.worker);
      expect(processes.logs.some((l) => l.includes('retrying an interrupted run'))).toBe(true);
    },
  );

  it('brings seven runs to an end after kill -9 of the embedded process with five queued and two running', async () => {
    current = await harness({ database: false, concurrency: 2, agentSeconds: 3 });
    const { stack, processes } = current;
    await processes.start('switchyard', 'all');
    const issues: number[] = [];
    for (let i = 1; i <= 7; i++) issues.push(await openIssue(stack, `Crash test ${i}`, 'Slowly.'));
    for (const issue of issues) await addLabel(stack, issue, 'agent:slowish');
    await eventually(
      async () => {
        const bodies = await Promise.all(issues.map((i) => statusComment(stack, i)));
        return bodies.filter((b) => b?.includes('Running')).length === 2 && bodies.every((b) => b !== undefined)
          ? true
          : undefined;
      },
      30_000,
      'two running and five queued',
    );

    await processes.kill('switchyard', 'SIGKILL');
    await processes.start('switchyard', 'all');

    for (const issue of issues) await statusShowing(stack, issue, 'Succeeded', 150_000);
    for (const issue of issues) expect(await pullsFor(stack, issue)).toHaveLength(1);
    const interrupted = await Promise.all(issues.map((i) => statusComment(stack, i)));
    expect(interrupted.filter((b) => b?.includes('attempt 2'))).toHaveLength(2);
    await stack.twin.idle();
    expect(stack.twin.violations).toEqual([]);
  });

  it('ends a run interrupted twice with the reason, and the rest of the batch takes its slots', async () => {
    current = await harness({ database: false, concurrency: 2, agentSeconds: 40 });
    const { stack, processes } = current;
    await processes.start('switchyard', 'all');
    const doomed = await openIssue(stack, 'Interrupted twice', 'Slowly.');
    await addLabel(stack, doomed, 'agent:drafty');
    await statusShowing(stack, doomed, 'Running');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await processes.kill('switchyard', 'SIGKILL');
    await processes.start('switchyard', 'all');
    // What the first attempt left is pushed to a branch of its own before the retry starts, and named.
    const rescued = await statusShowing(stack, doomed, 'The work of an interrupted attempt was kept on branch', 60_000);
    const branch = /kept on branch `([^`]+)`/.exec(rescued)?.[1] ?? '';
    expect(branch).toMatch(/^agent\/1-interrupted-twice-rescued-[0-9a-f]{7}$/);
    const { data: draft } = await stack.gh.rest.repos.getContent({
      owner: OWNER,
      repo: REPO,
      path: 'draft.txt',
      ref: branch,
    });
    expect('content' in draft ? Buffer.from(draft.content, 'base64').toString().trim() : '').toBe('draft');
    await statusShowing(stack, doomed, 'attempt 2', 60_000);
    await eventually(
      async () => ((await statusComment(stack, doomed))?.includes('Running') ? true : undefined),
      60_000,
      'attempt 2 running',
    );
    await processes.kill('switchyard', 'SIGKILL');
    const killedAt = Date.now();
    await processes.start('switchyard', 'all');

    const status = await statusShowing(stack, doomed, 'Failed', 90_000);
    const wrongForMs = Date.now() - killedAt;
    expect(status).toContain('Interrupted 2 times: the worker running it stopped');
    expect(status).toContain('The work of an interrupted attempt was kept on branch');
    expect(status).toContain('no retry is left');
    // Its slot is free again: two more issues run side by side (concurrency 2) and succeed.
    const next = [
      await openIssue(stack, 'After the crash 1', 'Slowly.'),
      await openIssue(stack, 'After the crash 2', 'Slowly.'),
    ];
    for (const issue of next) await addLabel(stack, issue, 'agent:slowish');
    await eventually(
      async () =>
        (await Promise.all(next.map((i) => statusComment(stack, i)))).every((b) => b?.includes('Running'))
          ? true
          : undefined,
      60_000,
      'both running',
    );
    console.log(JSON.stringify({ wrongAfterSecondCrashMs: wrongForMs }));
  });

  it.runIf(POSTGRES)('a worker that loses its database stops its agent before the retry starts elsewhere', async () => {
    current = await harness({ database: true, concurrency: 1, agentSeconds: 40 });
    const { stack, processes } = current;
    // worker-1 reaches PostgreSQL through a proxy that the test cuts.
    const upstream = new URL(POSTGRES ?? '');
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const server = connect(Number(upstream.port || 5432), upstream.hostname);
      client.pipe(server).pipe(client);
      for (const socket of [client, server]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = new URL(processes.databaseUrl ?? '');
    viaProxy.host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    await processes.start('web', 'web');
    const doomed = await processes.start('worker-1', 'worker', { DATABASE_URL: viaProxy.toString() });
    const issue = await openIssue(stack, 'Loses its database', 'Slowly.');
    await addLabel(stack, issue, 'agent:slowish');
    await statusShowing(stack, issue, 'Running');
    await processes.start('worker-2', 'worker');

    // A worker alone serves /healthz too: ready while its database answers, 503 once it does not.
    const health =
      (JSON.parse(doomed.lines.find((l) => l.includes('worker started')) ?? '{}') as { health?: string }).health ?? '';
    expect((await fetch(`${health}/healthz`)).status).toBe(200);
    proxy.close();
    for (const socket of sockets) socket.destroy();
    const cutAt = Date.now();
    const lostLine = await eventually(
      async () => doomed.lines.find((l) => l.includes('lost the database')),
      30_000,
      'worker-1 noticing',
    );
    // Killed at once, without a grace period: by the time pg-boss could fail the job, it is gone.
    const lostAt = (JSON.parse(lostLine) as { time?: number }).time ?? 0;
    await eventually(
      async () => ((await processesUnder(doomed.dataDir)).length === 0 ? true : undefined),
      3_000,
      "worker-1's agent gone",
    );
    const agentGoneAt = Date.now();
    const unhealthy = await fetch(`${health}/healthz`);
    expect(unhealthy.status).toBe(503);
    expect(await unhealthy.text()).toContain('"database":{"ok":false');
    const retried = await statusShowing(stack, issue, 'attempt 2', 60_000);
    expect(retried).toContain('Running');
    // The retry on worker-2 started after worker-1 had killed its agent: the two never overlapped.
    const retryStarted = processes.processes
      .get('worker-2')
      ?.lines.find((l) => l.includes('retrying an interrupted run'));
    const retryAt = (JSON.parse(retryStarted ?? '{}') as { time?: number }).time ?? 0;
    expect(retryAt).toBeGreaterThan(lostAt);
    // A quarter heartbeat (2.5 s) plus a ping; generous, for a loaded machine: the overlap check above is what matters.
    expect(lostAt - cutAt).toBeLessThan(8_000);
    console.log(JSON.stringify({ agentStoppedAfterCutMs: agentGoneAt - cutAt }));
  });

  it.runIf(POSTGRES)(
    'on SIGTERM lets a worker finish within its grace period, hands back what is left, and exits 0',
    async () => {
      current = await harness({
        database: true,
        concurrency: 1,
        agentSeconds: 8,
        env: { SWITCHYARD_SHUTDOWN_GRACE_SECONDS: '2' },
      });
      const { stack, processes } = current;
      await processes.start('web', 'web');
      await processes.start('worker-1', 'worker');
      const issue = await openIssue(stack, 'Shut down politely', 'Slowly.');
      await addLabel(stack, issue, 'agent:slowish');
      await statusShowing(stack, issue, 'Running');
      await processes.start('worker-2', 'worker');

      const exit = await processes.kill('worker-1', 'SIGTERM');
      const lines = processes.processes.get('worker-1')?.lines ?? [];
      expect(exit, lines.slice(-8).join('\n')).toEqual({ exitCode: 0, signal: undefined });
      expect(
        processes.processes
          .get('worker-1')
          ?.lines.some((l) => l.includes('grace period over: handing running runs back')),
      ).toBe(true);

      const status = await statusShowing(stack, issue, 'Succeeded', 60_000);
      expect(status).toContain('attempt 2');
      expect(await pullsFor(stack, issue)).toHaveLength(1);
    },
  );
});
