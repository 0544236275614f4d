/** The HTTP server: Probot's webhook middleware at the webhook path, /healthz, /metrics and the dashboard. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeMiddleware, type ApplicationFunction, type Probot } from 'probot';
import type { Metrics } from './metrics.ts';

export interface WebServerOptions {
  probot: Probot;
  appFn: ApplicationFunction;
  webhookPath: string;
  port: number;
  host: string;
  health: () => Promise<{ ok: boolean }>;
  /** Served at /metrics, and told how long each webhook took to answer. */
  metrics?: Metrics | undefined;
  /** The dashboard's routes: true when it answered the request. */
  dashboard?: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
}

export interface WebServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const middleware = await createNodeMiddleware(options.appFn, {
    probot: options.probot,
    webhooksPath: options.webhookPath,
  });
  return listen(options, (req, res) => {
    if (options.metrics && req.method === 'POST' && req.url?.split('?')[0] === options.webhookPath) {
      const started = performance.now();
      res.on('finish', () => options.metrics?.webhookAnswered(res.statusCode, (performance.now() - started) / 1000));
    }
    if (options.dashboard?.(req, res)) return;
    void middleware(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    });
  });
}

/** A worker's own server: `/healthz` only, so that a container runtime can tell a worker is well. */
export async function startHealthServer(
  options: Pick<WebServerOptions, 'port' | 'host' | 'health' | 'metrics'>,
): Promise<WebServer> {
  return listen(options, (_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
  });
}

async function listen(
  options: Pick<WebServerOptions, 'port' | 'host' | 'health' | 'metrics'>,
  next: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<WebServer> {
  const server = createServer((req, res) => {
    const metrics = options.metrics;
    if (metrics && req.method === 'GET' && req.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
      );
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') {
      options
        .health()
        .then((body) =>
          res.writeHead(body.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
        )
        .catch((error: unknown) =>
          res
            .writeHead(503, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ok: false, error: String(error) })),
        );
      return;
    }
    next(req, res);
  });
  // Longer than clients and proxies keep idle sockets, so a reused socket is never closed under a request.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
