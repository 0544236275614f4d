/**
 * The web role: webhooks (recorded and answered at once), the dashboard, /healthz and /metrics.
 * A worker alone serves only /healthz and /metrics, for its container's health check.
 */
import type { Probot } from 'probot';
import { switchyardApp } from '../app.ts';
import type { ServerSettings } from '../config/server.ts';
import { accessTo } from '../github/permissions.ts';
import type { JobContext } from '../jobs/context.ts';
import type { Logger } from '../log/logger.ts';
import type { Database } from '../store/db.ts';
import { DeliveryStore } from '../store/deliveries.ts';
import { Store } from '../store/runs.ts';
import { dashboardRoutes } from '../web/dashboard/routes.ts';
import { checkHealth } from '../web/health.ts';
import type { Metrics } from '../web/metrics.ts';
import { startHealthServer, startWebServer, type WebServer } from '../web/server.ts';

/** How long the dashboard keeps a finished run's log. */
const LOG_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface WebRole {
  server: WebServer;
  stop(): Promise<void>;
}

interface WebOptions {
  settings: ServerSettings;
  roles: { web: boolean; worker: boolean };
  probot: Probot;
  ctx: JobContext;
  metrics: Metrics;
  db: Database;
  store: Store;
  log: Logger;
}

function healthOf(options: WebOptions) {
  const { settings, roles, db } = options;
  const disk = roles.worker ? { dir: settings.dataDir, minFreeBytes: settings.minFreeDiskBytes } : undefined;
  return () => checkHealth({ db, roles, disk });
}

export async function startWeb(options: WebOptions): Promise<WebRole> {
  const { settings, ctx, store, log } = options;
  const { send } = ctx;
  const server = await startWebServer({
    probot: options.probot,
    appFn: switchyardApp({
      // What a webhook's handler reads and writes is part of its answer.
      store: new Store(options.db.answering),
      deliveries: new DeliveryStore(options.db.answering),
      enqueueIntake: send.intake,
      requestPlan: (job) => send.plan(job),
      enqueueCancel: send.cancel,
      enqueueCommand: send.command,
      enqueueSetup: send.setup,
      enqueueReport: (job) => send.report(job),
      enqueueMergeability: (job) => send.mergeability(job),
      enqueueCiResult: (job) => send.ciResult(job),
      log,
    }),
    webhookPath: settings.webhookPath,
    port: settings.port,
    host: settings.host,
    health: healthOf(options),
    metrics: options.metrics,
    dashboard: dashboardRoutes({
      store,
      attempts: ctx.attempts,
      observability: ctx.observability,
      token: settings.dashboardToken,
      oauth: settings.oauth ? { ...settings.oauth, apiUrl: settings.baseUrl } : undefined,
      publicUrl: settings.publicUrl,
      accessOf: async (login, repo, installationId) => accessTo(await ctx.clientFor(installationId), repo, login),
      enqueueCommand: send.command,
      enqueueCancel: send.cancel,
      secureCookies: settings.publicUrl?.startsWith('https:') ?? false,
      log,
    }),
  });
  const dashboard = settings.dashboardToken || settings.oauth ? `${settings.publicUrl ?? server.url}/dashboard` : 'off';
  log.info(
    { url: server.url, webhookPath: settings.webhookPath, database: options.db.kind, dashboard },
    'Switchyard is listening',
  );
  // The dashboard keeps a week of run logs.
  const prune = setInterval(
    () =>
      void ctx.observability
        .pruneLogs(new Date(Date.now() - LOG_RETENTION_MS))
        .catch((error: unknown) => log.warn({ err: error }, 'old run logs not pruned')),
    60 * 60 * 1000,
  );
  prune.unref();
  return {
    server,
    async stop() {
      clearInterval(prune);
      await server.close();
    },
  };
}

/** A worker without the web role serves /healthz (and /metrics) on PORT. */
export async function startWorkerHealth(options: WebOptions): Promise<WebServer> {
  return startHealthServer({
    port: options.settings.port,
    host: options.settings.host,
    health: healthOf(options),
    metrics: options.metrics,
  });
}
