/**
 * One Switchyard process: the web role (webhooks, intake, planning, commands, cancels), the
 * worker role (runs), or both — the embedded default. Both roles write reports. The table of
 * jobs is `src/jobs/index.ts`; this file builds what they are given and starts and stops it.
 */
import { Probot, ProbotOctokit } from 'probot';
import { secretsOf, type ServerSettings } from '../config/server.ts';
import { statusOf, tokenSource } from '../github/client.ts';
import type { JobContext, Send } from '../jobs/context.ts';
import { queues, sender, workJobs, JOBS } from '../jobs/index.ts';
import { startSweeping, type Sweeper } from '../jobs/sweep.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { Redactor } from '../log/redact.ts';
import { JobEngine } from '../queue/engine.ts';
import { AttemptStore } from '../store/attempts.ts';
import { BatchStore } from '../store/batches.ts';
import { openDatabase, type Database } from '../store/db.ts';
import { GitHubRecords } from '../store/github-records.ts';
import { migrate } from '../store/migrations.ts';
import { ObservabilityStore } from '../store/observability.ts';
import { Store } from '../store/runs.ts';
import { Metrics } from '../web/metrics.ts';
import type { WebServer } from '../web/server.ts';
import { startWeb, startWorkerHealth, type WebRole } from './web.ts';
import { prepareWorker } from './worker.ts';

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
  jobs: JobEngine;
  send: Send;
  web: WebServer | undefined;
  /** The reconciliation sweep of this process. */
  reconciler: Sweeper;
  /**
   * Graceful stop: no more webhooks or runs are taken; running runs may finish within the grace
   * period, and the rest are handed back to be retried by another worker.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** How often every process compares run records with the job engine (and waits before ending a run). */
const RECONCILE_INTERVAL_MS = 5_000;

export async function startSwitchyard(options: SwitchyardOptions): Promise<Switchyard> {
  const { settings } = options;
  const roles = options.roles ?? { web: true, worker: true };
  if (!settings.appId || !settings.privateKey) {
    throw new Error('APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) are required to run the app.');
  }
  const redactor = new Redactor(secretsOf(settings));
  const log = options.log ?? createLogger({ level: settings.logLevel, format: settings.logFormat, redactor });
  const worker = roles.worker ? await prepareWorker(settings, redactor, log) : undefined;

  const db = await openDatabase(settings);
  await migrate(db);
  const store = new Store(db);
  const records = new GitHubRecords(db);
  const batches = new BatchStore(db);
  const observability = new ObservabilityStore(db);
  const engine = new JobEngine({ db, log, heartbeatSeconds: settings.heartbeatSeconds });
  await engine.start(queues(settings.runRetries));
  const send = sender(engine, settings.statusIntervalMs);

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
    octokit.hook.after('request', (response, request) =>
      metrics.githubAnswered(
        installationId,
        request.method,
        response.status,
        response.headers['x-ratelimit-remaining'],
      ),
    );
    octokit.hook.error('request', (error, request) => {
      const status = statusOf(error);
      if (status !== undefined) metrics.githubAnswered(installationId, request.method, status, undefined);
      throw error;
    });
    return octokit;
  };
  const ctx: JobContext = {
    db,
    store,
    attempts: new AttemptStore(db),
    records,
    batches,
    observability,
    clientFor,
    tokenFor: tokenSource({ appId: settings.appId, privateKey: settings.privateKey, baseUrl: settings.baseUrl }),
    agents: settings.agents,
    settings,
    redactor,
    metrics,
    send,
    worker: worker?.parts,
    log,
  };

  let web: WebRole | undefined;
  let health: WebServer | undefined;
  if (roles.web) web = await startWeb({ settings, roles, probot, ctx, metrics, db, store, log });
  const reconciler = startSweeping(ctx, {
    runJobs: {
      newest: (runId) => engine.newestJob(JOBS.run.queue, { runId }),
      cancelWaiting: (runId) => engine.cancelWaiting(JOBS.run.queue, { runId }),
    },
    dataDir: roles.worker ? settings.dataDir : undefined,
    intervalMs: RECONCILE_INTERVAL_MS,
    graceMs: RECONCILE_INTERVAL_MS,
  });
  if (worker) await worker.recover({ store, tokenFor: ctx.tokenFor, send, redactor, log });
  await workJobs(engine, ctx, roles);
  if (worker) {
    const roleNames = Object.entries(roles)
      .filter(([, on]) => on)
      .map(([role]) => role)
      .join('+');
    // A worker alone has no web server: it serves /healthz on PORT, for its container's health check.
    if (!roles.web) health = await startWorkerHealth({ settings, roles, probot, ctx, metrics, db, store, log });
    await worker.watch({ roles: roleNames, observability, store, db, healthUrl: health?.url });
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
    jobs: engine,
    send,
    web: web?.server ?? health,
    reconciler,
    async stop(stopOptions = {}) {
      reconciler.stop();
      await web?.stop();
      await health?.close();
      await worker?.stop(stopOptions.graceMs ?? settings.shutdownGraceMs, () => engine.stopWorking(JOBS.run.queue));
      await engine.stop(30_000);
      await db.close();
    },
  };
}

/** Probot's Octokit with the throttling plugin's write pacing turned off (retries stay on). */
function withoutPacing(): typeof ProbotOctokit {
  return ProbotOctokit.defaults((options: ConstructorParameters<typeof ProbotOctokit>[0] = {}) => {
    const throttle = (options.throttle ?? {}) as Record<string, unknown>;
    return { ...options, throttle: { ...throttle, enabled: false } };
  });
}
