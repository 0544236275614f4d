/**
 * Composition: one Switchyard process with the web role (webhooks, intake, planning, cancels),
 * the worker role (runs), or both — the embedded default.
 */
import { hostname } from 'node:os';
import { Probot, ProbotOctokit } from 'probot';
import { switchyardApp } from '../app.ts';
import { secretsOf, type ServerSettings } from '../config/server.ts';
import { handleCancel } from '../jobs/cancel.ts';
import { statusOf, tokenSource } from '../github/client.ts';
import { handleCommand } from '../jobs/command.ts';
import { handleTrigger, type IntakeDeps } from '../jobs/intake.ts';
import { setUpRepositories } from '../github/labels.ts';
import { accessTo } from '../github/permissions.ts';
import { RepoDashboards } from '../github/repo-dashboard.ts';
import { StatusReporter } from '../github/status-reporter.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { Redactor } from '../log/redact.ts';
import { closeFinishedBatches, planRepository } from '../jobs/plan.ts';
import { JobEngine } from '../queue/jobs.ts';
import { Runner } from '../runner/execute.ts';
import { RepoCache } from '../runner/repo-cache.ts';
import { killOrphanedRuns, killOwnAgents } from '../runner/orphans.ts';
import { checkSandbox, defaultSecretFiles } from '../runner/sandbox.ts';
import { BatchStore } from '../store/batches.ts';
import { openDatabase, type Database } from '../store/db.ts';
import { GitHubRecords } from '../store/github-records.ts';
import { migrate } from '../store/migrations.ts';
import { Store } from '../store/records.ts';
import type { RunRecord } from '../domain/run.ts';
import { startHealthServer, startWebServer, type WebServer } from '../web/server.ts';
import { checkHealth } from '../web/health.ts';
import { Metrics } from '../web/metrics.ts';
import { CancelRegistry, executeRunJob, WORKER_ID } from '../jobs/run.ts';
import { ObservabilityStore } from '../store/observability.ts';
import { dashboardRoutes } from '../web/dashboard/routes.ts';
import { startReconciler, type Reconciler } from '../jobs/sweep.ts';
import { pushRescuedWork } from '../jobs/rescue.ts';
import { watchDatabase } from './database-watch.ts';

export interface Roles {
  web: boolean;
  worker: boolean;
}

export interface SwitchyardOptions {
  settings: ServerSettings;
  roles?: Roles;
  log?: Logger;
}

export interface Switchyard {
  settings: ServerSettings;
  log: Logger;
  redactor: Redactor;
  db: Database;
  store: Store;
  records: GitHubRecords;
  batches: BatchStore;
  status: StatusReporter;
  jobs: JobEngine;
  cache: RepoCache;
  cancels: CancelRegistry;
  web: WebServer | undefined;
  /** The reconciliation sweep of this process. */
  reconciler: Reconciler;
  /**
   * Graceful stop: no more webhooks or runs are taken; running runs may finish within the grace
   * period, and the rest are handed back to be retried by another worker.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** How often every process compares run records with the job engine (and waits before ending a run). */
const RECONCILE_INTERVAL_MS = 5_000;

/** How often a worker looks for cancel requests of its running runs. */
const CANCEL_POLL_MS = 500;

export async function startSwitchyard(options: SwitchyardOptions): Promise<Switchyard> {
  const { settings } = options;
  const roles = options.roles ?? { web: true, worker: true };
  if (!settings.appId || !settings.privateKey)
    throw new Error('APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) are required to run the app.');
  const sandboxCheck = roles.worker
    ? await checkSandbox(settings.sandbox, { userName: settings.sandboxUser, dataDir: settings.dataDir })
    : undefined;
  const redactor = new Redactor(secretsOf(settings));
  const log = options.log ?? createLogger({ level: settings.logLevel, format: settings.logFormat, redactor });
  if (roles.worker && settings.sandbox === 'none') {
    log.warn(
      "SWITCHYARD_SANDBOX=none: agents run unsandboxed, as this process's user. An agent can read the private key, .env, the database and other runs' worktrees; only do this where every agent and every issue is trusted.",
    );
  }

  const db = await openDatabase(settings);
  await migrate(db);
  const store = new Store(db);
  const observability = new ObservabilityStore(db);
  const records = new GitHubRecords(db);
  const batches = new BatchStore(db);
  const jobs = new JobEngine({ db, log, runRetries: settings.runRetries, heartbeatSeconds: settings.heartbeatSeconds });
  await jobs.start();

  const probot = new Probot({
    appId: settings.appId,
    privateKey: settings.privateKey,
    secret: settings.webhookSecret,
    baseUrl: settings.baseUrl,
    log: log.child({ name: 'probot' }),
    ...(settings.githubPacing ? {} : { Octokit: withoutPacing() }),
  });
  const metrics = new Metrics({ store, concurrency: settings.concurrency });
  const clientFor = async (installationId: number) => {
    const octokit = await probot.auth(installationId);
    octokit.hook.after('request', (response, options) =>
      metrics.githubAnswered(
        installationId,
        options.method,
        response.status,
        response.headers['x-ratelimit-remaining'],
      ),
    );
    octokit.hook.error('request', (error, options) => {
      const status = statusOf(error);
      if (status !== undefined) metrics.githubAnswered(installationId, options.method, status, undefined);
      throw error;
    });
    return octokit;
  };
  const tokenFor = tokenSource({ appId: settings.appId, privateKey: settings.privateKey, baseUrl: settings.baseUrl });
  const dashboards = new RepoDashboards({ db, store, clientFor, intervalMs: settings.statusIntervalMs, log });
  const status = new StatusReporter({
    store,
    records,
    clientFor,
    intervalMs: settings.statusIntervalMs,
    publicUrl: settings.publicUrl,
    afterWrite: (run) => dashboards.refresh(run),
    log,
  });
  const cache = new RepoCache(settings.dataDir);
  const cancels = new CancelRegistry();
  const requestPlan = (job: { repo: string; installationId: number }, delayMs = 0) => jobs.requestPlan(job, delayMs);
  const afterRun = async (run: RunRecord) => {
    await requestPlan({ repo: run.repo, installationId: run.installationId });
    await closeFinishedBatches({ store, batches, log }, [run], settings.concurrency);
  };

  const healthOptions = {
    db,
    roles,
    disk: roles.worker ? { dir: settings.dataDir, minFreeBytes: settings.minFreeDiskBytes } : undefined,
  };
  let web: WebServer | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  if (roles.web) {
    const intake: IntakeDeps = {
      store,
      records,
      batches,
      agents: settings.agents,
      clientFor,
      status,
      requestPlan,
      defaultWindowMs: settings.batchWindowMs,
      log,
    };
    await jobs.workIntake(async (job) => {
      await handleTrigger(job.trigger, intake);
    });
    await jobs.workPlans((job) =>
      planRepository(job, {
        store,
        batches,
        clientFor,
        status,
        enqueueRun: (run, repo, issue) => jobs.enqueueRun(run, repo, issue),
        requestPlan,
        globalConcurrency: settings.concurrency,
        agents: settings.agents,
        log,
      }),
    );
    await jobs.workCancels((job) => handleCancel(job, { store, status, onEnded: afterRun, log }));
    const enqueueCancel = (job: Parameters<JobEngine['enqueueCancel']>[0]) => jobs.enqueueCancel(job);
    await jobs.workCommands((job) => handleCommand(job, { store, clientFor, intake, enqueueCancel, dashboards, log }));
    await jobs.workSetup((job) => setUpRepositories(job, { clientFor, records, agents: settings.agents, log }));
    web = await startWebServer({
      probot,
      appFn: switchyardApp({
        store,
        enqueueIntake: (job) => jobs.enqueueIntake(job),
        requestPlan,
        enqueueCancel,
        enqueueCommand: (job) => jobs.enqueueCommand(job),
        enqueueSetup: (job) => jobs.enqueueSetup(job),
        refreshStatus: (target) => void status.refresh(target),
        log,
      }),
      webhookPath: settings.webhookPath,
      port: settings.port,
      host: settings.host,
      health: () => checkHealth(healthOptions),
      metrics,
      dashboard: dashboardRoutes({
        store,
        observability,
        token: settings.dashboardToken,
        oauth: settings.oauth ? { ...settings.oauth, apiUrl: settings.baseUrl } : undefined,
        publicUrl: settings.publicUrl,
        accessOf: async (login, repo, installationId) => accessTo(await clientFor(installationId), repo, login),
        enqueueCommand: (job) => jobs.enqueueCommand(job),
        enqueueCancel,
        secureCookies: settings.publicUrl?.startsWith('https:') ?? false,
        log,
      }),
    });
    log.info(
      {
        url: web.url,
        webhookPath: settings.webhookPath,
        database: db.kind,
        dashboard: settings.dashboardToken || settings.oauth ? `${settings.publicUrl ?? web.url}/dashboard` : 'off',
      },
      'Switchyard is listening',
    );
    // The dashboard keeps a week of run logs.
    pruneTimer = setInterval(
      () =>
        void observability
          .pruneLogs(new Date(Date.now() - LOG_RETENTION_MS))
          .catch((error: unknown) => log.warn({ err: error }, 'old run logs not pruned')),
      60 * 60 * 1000,
    );
    pruneTimer.unref();
  }
  const reconciler = startReconciler({
    store,
    jobs,
    status,
    records,
    onEnded: afterRun,
    dataDir: roles.worker ? settings.dataDir : undefined,
    log,
    intervalMs: RECONCILE_INTERVAL_MS,
    graceMs: RECONCILE_INTERVAL_MS,
  });
  let databaseWatch: { stop(): void } | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  if (roles.worker) {
    const orphans = await killOrphanedRuns(settings.dataDir);
    const pruned = await cache.pruneOrphans();
    if (pruned.length > 0 || orphans.groups.length > 0)
      log.warn(
        { worktrees: pruned.map((p) => p.path), processGroups: orphans.groups },
        'cleaned up after runs interrupted by a previous process',
      );
    await pushRescuedWork(pruned, { store, cache, tokenFor, status, redactor, log });
    const sandbox = {
      kind: settings.sandbox,
      dataDir: settings.dataDir,
      secretFiles: defaultSecretFiles(settings.privateKeyPath, settings.serverConfigPath),
      network: settings.agentNetwork,
      user: sandboxCheck?.user,
      disableNestedUserns: sandboxCheck?.disableNestedUserns ?? false,
    };
    const runner = new Runner({ cache, identity: settings.gitAuthor, redactor, sandbox });
    cancels.watch(store, CANCEL_POLL_MS, log);
    // PGlite lives in this process: only a database over the network can be lost.
    if (db.kind === 'postgres') {
      databaseWatch = watchDatabase({
        db,
        heartbeatMs: settings.heartbeatSeconds * 1000,
        onLost: () => {
          cancels.interruptAll();
          void killOwnAgents(settings.dataDir);
        },
        log,
      });
    }
    await jobs.workRuns(settings.concurrency, async (delivery) => {
      await executeRunJob(delivery, {
        store,
        runner,
        agents: settings.agents,
        operatorPrompt: settings.prompt,
        publicUrl: settings.publicUrl,
        observability,
        clientFor,
        tokenFor,
        status,
        records,
        redactor,
        cancels,
        dataDir: settings.dataDir,
        minFreeDiskBytes: settings.minFreeDiskBytes,
        progressIntervalMs: settings.progressIntervalMs,
        metrics,
        log,
        onFinished: afterRun,
        onHeld: (run) => requestPlan({ repo: run.repo, installationId: run.installationId }, 60_000),
      });
    });
    // A heartbeat in the database: the dashboard lists live workers and what they run.
    const beat = () =>
      observability
        .heartbeat({
          id: WORKER_ID,
          host: hostname(),
          pid: process.pid,
          roles: Object.entries(roles)
            .filter(([, on]) => on)
            .map(([role]) => role)
            .join('+'),
          slots: settings.concurrency,
          running: cancels.size,
        })
        .catch((error: unknown) => log.debug({ err: error }, 'worker heartbeat not written'));
    await beat();
    heartbeatTimer = setInterval(() => void beat(), WORKER_HEARTBEAT_MS);
    heartbeatTimer.unref();
    // A worker alone has no web server: it serves /healthz on PORT, for its container's health check.
    if (!roles.web)
      web = await startHealthServer({
        port: settings.port,
        host: settings.host,
        health: () => checkHealth(healthOptions),
        metrics,
      });
    log.info(
      {
        concurrency: settings.concurrency,
        agents: Object.keys(settings.agents),
        sandbox: settings.sandbox,
        sandboxUser: sandbox.user?.name,
        agentNetwork: settings.agentNetwork,
        health: roles.web ? undefined : web?.url,
      },
      'worker started',
    );
  }

  reconciler
    .sweep()
    .catch((error: unknown) =>
      log.warn({ err: error }, 'reconciliation sweep at start-up failed; the next one tries again'),
    );

  return {
    settings,
    log,
    redactor,
    db,
    store,
    records,
    batches,
    status,
    jobs,
    cache,
    cancels,
    web,
    reconciler,
    async stop(stopOptions = {}) {
      const graceMs = stopOptions.graceMs ?? settings.shutdownGraceMs;
      reconciler.stop();
      databaseWatch?.stop();
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      if (pruneTimer) clearInterval(pruneTimer);
      await web?.close();
      if (roles.worker) {
        await jobs.stopTakingRuns();
        const deadline = Date.now() + graceMs;
        while (cancels.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        if (cancels.size > 0) log.warn({ runs: cancels.size }, 'grace period over: handing running runs back');
        cancels.interruptAll();
      }
      cancels.stop();
      if (roles.worker) await observability.removeWorker(WORKER_ID).catch(() => undefined);
      await jobs.stop(30_000);
      await status.drain();
      dashboards.stop();
      await db.close();
    },
  };
}

/** How long the dashboard keeps a finished run's log. */
const LOG_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** How often a worker writes its heartbeat for the dashboard. */
const WORKER_HEARTBEAT_MS = 5_000;

/** Probot's Octokit with the throttling plugin's write pacing turned off (retries stay on). */
function withoutPacing(): typeof ProbotOctokit {
  return ProbotOctokit.defaults((options: ConstructorParameters<typeof ProbotOctokit>[0] = {}) => {
    const throttle = (options.throttle ?? {}) as Record<string, unknown>;
    return { ...options, throttle: { ...throttle, enabled: false } };
  });
}
