/** For crash tests: a twin and Switchyard as real processes, killed for real; the Stack view lets the shared helpers read comments and pull requests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentCatalogue } from '../../src/config/agents.ts';
import { AttemptStore } from '../../src/store/attempts.ts';
import { openDatabase } from '../../src/store/db.ts';
import { Store } from '../../src/store/runs.ts';
import { ProcessStack, freshDatabase } from './processes-stack.ts';
import { OWNER, REPO, type Stack } from './stack.ts';
import { pushFiles } from './git.ts';
import { GitHubTwin } from '@switchyard/github-twin';

export const POSTGRES = process.env.SWITCHYARD_TEST_DATABASE_URL;

export const agents = (seconds: number): AgentCatalogue => ({
  slowish: {
    kind: 'command',
    command: ['sh', '-c', `sleep ${seconds}; echo "$SWITCHYARD_ISSUE_NUMBER" > "done-$SWITCHYARD_ISSUE_NUMBER.txt"`],
    timeout: 120_000,
    passEnv: [],
    env: {},
  },
  // Writes a draft at once, then works on: an interruption leaves work behind.
  drafty: {
    kind: 'command',
    command: ['sh', '-c', `echo draft > draft.txt; sleep ${seconds}`],
    timeout: 120_000,
    passEnv: [],
    env: {},
  },
});

export interface Harness {
  stack: Stack;
  processes: ProcessStack;
  cleanup: () => Promise<void>;
}

/** A twin and a process stack; the Stack view lets the shared helpers read comments and pull requests. */
export async function harness(options: {
  database: boolean;
  concurrency: number;
  agentSeconds: number;
  env?: Record<string, string>;
}): Promise<Harness> {
  const twin = await GitHubTwin.start();
  const gh = twin.octokit(OWNER);
  await gh.rest.repos.createForAuthenticatedUser({ name: REPO, auto_init: true });
  await pushFiles(twin, OWNER, REPO, { 'src/a.txt': 'a\n' });
  twin.install(OWNER);
  const url = process.env.SWITCHYARD_TEST_DATABASE_URL;
  const database = options.database && url ? await freshDatabase(url) : undefined;
  const sharedDataDir = database ? undefined : await mkdtemp(join(tmpdir(), 'switchyard-embedded-'));
  const processes = new ProcessStack({
    twin,
    databaseUrl: database?.url,
    agents: agents(options.agentSeconds),
    concurrency: options.concurrency,
    env: { SWITCHYARD_HEARTBEAT_SECONDS: '10', ...options.env },
    ...(sharedDataDir ? { sharedDataDir } : {}),
  });
  twin.setWebhookUrl(await processes.webhookUrl());
  const db = database ? await openDatabase({ databaseUrl: database.url, dataDir: '' }) : undefined;
  const stack = {
    twin,
    gh,
    owner: OWNER,
    repo: REPO,
    store: db ? new Store(db) : undefined,
    attempts: db ? new AttemptStore(db) : undefined,
    logs: processes.logs,
  } as unknown as Stack;
  return {
    stack,
    processes,
    cleanup: async () => {
      await processes.stop();
      await db?.close();
      await twin.stop();
      await database?.drop();
      if (sharedDataDir) await rm(sharedDataDir, { recursive: true, force: true });
    },
  };
}

/** The pull requests Switchyard opened for an issue, in any state. */
export async function pullsFor(stack: Stack, issue: number) {
  const { data } = await stack.gh.rest.pulls.list({ owner: OWNER, repo: REPO, state: 'all', per_page: 100 });
  return data.filter((p) => p.body?.startsWith(`Closes #${issue}\n`));
}
