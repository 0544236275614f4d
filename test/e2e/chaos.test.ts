/**
 * Chaos: kill -9 at random moments (before dispatch, in the agent, in commit and push, during a
 * retry, twice in a row), embedded and with PostgreSQL. Afterwards every run has ended, no issue
 * has two pull requests, no slot leaked, no agent process or worktree is left, and every status
 * comment tells the truth. The seed is printed; SWITCHYARD_CHAOS_SEED replays a schedule.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, POSTGRES, pullsFor, type Harness } from '../support/crash-harness.ts';
import { processesLeftUnder } from '../support/processes.ts';
import { addLabel, eventually, openIssue, statusComment } from '../support/stack.ts';
import { seededRandom as random } from '../support/random.ts';

const TERMINAL = /\*\*(Succeeded|Failed|Timed out|Stalled|Cancelled)\*\*/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const modes = [
  { name: 'embedded', database: false, roles: [['switchyard', 'all']] as const },
  ...(POSTGRES
    ? [
        {
          name: 'PostgreSQL',
          database: true,
          roles: [
            ['web', 'web'],
            ['worker-1', 'worker'],
            ['worker-2', 'worker'],
          ] as const,
        },
      ]
    : []),
];

describe('chaos', () => {
  let current: Harness | undefined;
  afterEach(async ({ task }) => {
    if (process.env.SWITCHYARD_TEST_LOGS && current)
      await writeFile(process.env.SWITCHYARD_TEST_LOGS, current.processes.logs.join('\n'));
    // A failed schedule leaves its processes' logs behind, to read next to the seed it printed.
    if (task.result?.state === 'fail' && current) {
      await mkdir('test-artifacts', { recursive: true });
      await writeFile(
        join('test-artifacts', `chaos-${task.name.replace(/\W+/g, '-')}.log`),
        current.processes.logs.join('\n'),
      );
    }
    await current?.cleanup();
    current = undefined;
  });

  it.each(modes)(
    'every run ends truthfully after kill -9 at random moments ($name)',
    async (mode) => {
      const seed = Number(process.env.SWITCHYARD_CHAOS_SEED ?? Date.now() % 1_000_000);
      const next = random(seed);
      console.log(`chaos seed ${seed} (${mode.name})`);
      current = await harness({ database: mode.database, concurrency: 2, agentSeconds: 2 });
      const { stack, processes } = current;
      for (const [name, role] of mode.roles) await processes.start(name, role);

      const issues: number[] = [];
      for (let i = 1; i <= 5; i++) issues.push(await openIssue(stack, `Chaos ${i}`, 'Work a little.'));
      for (const issue of issues) await addLabel(stack, issue, 'agent:drafty');

      // Three kills, 0.3-6 s apart: some land before dispatch, some in an agent, in a push or in a
      // retry, and two close together make a run be interrupted twice.
      const kills: string[] = [];
      for (let round = 0; round < 3; round++) {
        await sleep(300 + next() * 5_700);
        const [name, role] = mode.roles[Math.floor(next() * mode.roles.length)] ?? mode.roles[0];
        await processes.kill(name, 'SIGKILL');
        kills.push(name);
        await sleep(next() * 1_000);
        await processes.start(name, role);
      }
      console.log(`chaos kills: ${kills.join(', ')}`);

      const final = await eventually(
        async () => {
          const bodies = await Promise.all(issues.map((issue) => statusComment(stack, issue)));
          return bodies.every((body) => body && TERMINAL.test(body)) ? bodies : undefined;
        },
        180_000,
        'every run terminal',
      );

      for (const [index, issue] of issues.entries()) {
        const body = final[index] ?? '';
        const pulls = await pullsFor(stack, issue);
        expect(pulls.length, `#${issue} pull requests`).toBeLessThanOrEqual(1);
        if (body.includes('**Succeeded**')) {
          expect(pulls, `#${issue}: succeeded names its pull request`).toHaveLength(1);
          expect(body).toContain(`pull request #${pulls[0]?.number ?? ''}`);
        } else {
          // A run that did not succeed says why.
          expect(body, `#${issue}`).toMatch(/Interrupted|Its job|Could not|no retry/);
        }
      }

      // No slot leaked: two more issues run side by side (concurrency 2).
      const more = [
        await openIssue(stack, 'After the chaos 1', 'Work a little.'),
        await openIssue(stack, 'After the chaos 2', 'Work a little.'),
      ];
      for (const issue of more) await addLabel(stack, issue, 'agent:slowish');
      await eventually(
        async () =>
          (await Promise.all(more.map((i) => statusComment(stack, i)))).every((b) => b?.includes('**Succeeded**'))
            ? true
            : undefined,
        90_000,
        'two more runs succeed',
      );

      // Nothing left behind: no agent process, no worktree but the pooled ones (none here).
      for (const dataDir of processes.dataDirs) {
        expect(await processesLeftUnder(dataDir)).toEqual([]);
        const worktrees = join(dataDir, 'worktrees');
        const left = existsSync(worktrees)
          ? (await readdir(worktrees, { recursive: true })).filter((p) => p.split('/').length === 3)
          : [];
        expect(left, `worktrees left in ${dataDir}`).toEqual([]);
      }
      await stack.twin.idle();
      expect(stack.twin.violations).toEqual([]);
      // Its own waits (up to 180 s for every run to end, 90 s for two more) decide, not the file's
      // default: on a loaded machine the recovery of three kills takes minutes, and a waiting that
      // runs out then says what it waited for.
    },
    330_000,
  );
});
