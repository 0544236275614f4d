/**
 * The worker role: runs execute here. At start it cleans up after a previous process (its
 * agents, its worktrees) and pushes the work those left; then it takes run jobs, writes a
 * heartbeat for the dashboard, and on PostgreSQL watches the database so that no agent
 * outlives its lost connection.
 */
import { describeSupport, detectCgroups, removeLeftoverCgroups } from '../runner/limits.ts';
import { hostname } from 'node:os';
import type { ServerSettings } from '../config/server.ts';
import type { WorkerParts } from '../jobs/context.ts';
import { pushRescuedWork, type RescueDeps } from '../jobs/rescue.ts';
import { RunRegistry } from '../jobs/run-registry.ts';
import { WORKER_ID } from '../jobs/run.ts';
import type { Logger } from '../log/logger.ts';
import type { Redactor } from '../log/redact.ts';
import { Runner } from '../runner/execute.ts';
import { killOrphanedRuns, killOwnAgents } from '../runner/orphans.ts';
import { RepoCache } from '../runner/repo-cache.ts';
import { checkSandbox, defaultSecretFiles } from '../runner/sandbox.ts';
import { warmSpawner } from '../runner/spawner.ts';
import type { Database } from '../store/db.ts';
import type { ObservabilityStore } from '../store/observability.ts';
import type { Store } from '../store/runs.ts';
import { watchDatabase } from './database-watch.ts';

/** How often a worker looks for cancel requests of its running runs. */
const CANCEL_POLL_MS = 500;

/** How often a worker writes its heartbeat for the dashboard. */
const WORKER_HEARTBEAT_MS = 5_000;

export interface Worker {
  parts: WorkerParts;
  /** Cleans up after a previous process on this data directory and pushes the work it left. */
  recover(rescue: Omit<RescueDeps, 'cache'>): Promise<void>;
  /** Starts the heartbeat, the cancel watch and (on PostgreSQL) the database watch. */
  watch(options: {
    roles: string;
    observability: ObservabilityStore;
    store: Store;
    db: Database;
    /** Where a worker without the web role serves /healthz. */
    healthUrl: string | undefined;
  }): Promise<void>;
  /** Stops taking new work's signals; running runs are interrupted to be retried elsewhere. */
  stop(graceMs: number, stopTakingRuns: () => Promise<void>): Promise<void>;
}

export async function prepareWorker(settings: ServerSettings, redactor: Redactor, log: Logger): Promise<Worker> {
  const sandboxCheck = await checkSandbox(settings.sandbox, {
    userName: settings.sandboxUser,
    dataDir: settings.dataDir,
  });
  if (settings.sandbox === 'none') {
    log.warn(
      "SWITCHYARD_SANDBOX=none: agents run unsandboxed, as this process's user. An agent can read the private key, .env, the database and other runs' worktrees; only do this where every agent and every issue is trusted.",
    );
  }
  warmSpawner();
  const cache = new RepoCache(settings.dataDir);
  const runs = new RunRegistry();
  const sandbox = {
    kind: settings.sandbox,
    dataDir: settings.dataDir,
    secretFiles: defaultSecretFiles(settings.privateKeyPath, settings.serverConfigPath),
    network: settings.agentNetwork,
    user: sandboxCheck.user,
    disableNestedUserns: sandboxCheck.disableNestedUserns ?? false,
  };
  const cgroups = await detectCgroups();
  log.info({ cgroups: cgroups.kind }, describeSupport(cgroups));
  const runner = new Runner({ cache, identity: settings.gitAuthor, redactor, sandbox, cgroups });
  let heartbeat: NodeJS.Timeout | undefined;
  let databaseWatch: { stop(): void } | undefined;
  let observability: ObservabilityStore | undefined;
  return {
    parts: { runner, cache, runs },
    async recover(rescue) {
      const orphans = await killOrphanedRuns(settings.dataDir);
      const cgroupsRemoved = await removeLeftoverCgroups(cgroups, orphans.runs);
      if (cgroupsRemoved > 0)
        log.info({ cgroups: cgroupsRemoved }, 'removed the cgroups of runs that ended with a crash');
      const pruned = await cache.pruneOrphans();
      if (pruned.length > 0 || orphans.groups.length > 0) {
        log.warn(
          { worktrees: pruned.map((p) => p.path), processGroups: orphans.groups },
          'cleaned up after runs interrupted by a previous process',
        );
      }
      await pushRescuedWork(pruned, { ...rescue, cache });
    },
    async watch(options) {
      observability = options.observability;
      runs.watch(options.store, CANCEL_POLL_MS, log);
      // PGlite lives in this process: only a database over the network can be lost.
      if (options.db.kind === 'postgres') {
        databaseWatch = watchDatabase({
          db: options.db,
          heartbeatMs: settings.heartbeatSeconds * 1000,
          onLost: () => {
            runs.interruptAll();
            void killOwnAgents(settings.dataDir);
          },
          log,
        });
      }
      // A heartbeat in the database: the dashboard lists live workers and what they run.
      const beat = () =>
        options.observability
          .heartbeat({
            id: WORKER_ID,
            host: hostname(),
            pid: process.pid,
            roles: options.roles,
            slots: settings.concurrency,
            running: runs.size,
          })
          .catch((error: unknown) => log.debug({ err: error }, 'worker heartbeat not written'));
      await beat();
      heartbeat = setInterval(() => void beat(), WORKER_HEARTBEAT_MS);
      heartbeat.unref();
      log.info(
        {
          concurrency: settings.concurrency,
          agents: Object.keys(settings.agents),
          sandbox: settings.sandbox,
          sandboxUser: sandbox.user?.name,
          agentNetwork: settings.agentNetwork,
          health: options.healthUrl,
        },
        'worker started',
      );
    },
    async stop(graceMs, stopTakingRuns) {
      databaseWatch?.stop();
      if (heartbeat) clearInterval(heartbeat);
      await stopTakingRuns();
      const deadline = Date.now() + graceMs;
      while (runs.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      if (runs.size > 0) log.warn({ runs: runs.size }, 'grace period over: handing running runs back');
      runs.interruptAll();
      runs.stop();
      await observability?.removeWorker(WORKER_ID).catch(() => undefined);
    },
  };
}
