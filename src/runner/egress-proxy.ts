/**
 * The only way out of a sandbox whose network is an allow-list: an HTTP proxy on a unix socket
 * in the run's home, outside any network namespace. Inside, a bridge (below) listens on the
 * sandbox's loopback and hands every connection to the socket; agents find it through
 * `HTTPS_PROXY`. `CONNECT host:port` and plain HTTP requests reach allowed hosts; everything else
 * is refused with 403 and remembered, for the status comment.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { chown, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Egress } from './sandbox.ts';

export interface EgressProxy {
  /** Refused destinations (`host:port`) with how often each was asked for, in first-seen order. */
  blocked(): Array<{ destination: string; count: number }>;
  /** Stops the proxy and removes its socket. */
  close(): Promise<void>;
}

/** A sentence naming what the proxy refused, for the status comment; undefined when nothing was. */
export function blockedSentence(blocked: ReadonlyArray<{ destination: string; count: number }>): string | undefined {
  if (blocked.length === 0) return undefined;
  const list = blocked
    .slice(0, 10)
    .map((b) => `\`${b.destination}\`${b.count > 1 ? ` (${b.count}×)` : ''}`)
    .join(', ');
  return `The sandbox blocked network requests to ${list}${blocked.length > 10 ? ` and ${blocked.length - 10} more` : ''}: not on the agent's allow-list.`;
}

/** Whether `host` is allowed: an exact name, or a `*.example.com` pattern for its subdomains. */
export function hostAllowed(host: string, allow: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return allow.some((pattern) => {
    const wanted = pattern.toLowerCase();
    return wanted.startsWith('*.') ? name.endsWith(wanted.slice(1)) : name === wanted;
  });
}

export async function startEgressProxy(socketPath: string, allow: readonly string[]): Promise<EgressProxy> {
  const refused = new Map<string, number>();
  const refuse = (destination: string) => refused.set(destination, (refused.get(destination) ?? 0) + 1);
  const server: Server = createServer((req, res) => {
    // Plain HTTP through a proxy: an absolute URL in the request line.
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('Switchyard egress proxy: absolute URL expected\n');
      return;
    }
    const port = Number(target.port || 80);
    if (target.protocol !== 'http:' || !hostAllowed(target.hostname, allow)) {
      refuse(`${target.hostname}:${port}`);
      res.writeHead(403).end(`Switchyard egress proxy: ${target.hostname} is not on this agent's allow-list\n`);
      return;
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req, client) => {
    const [host = '', portText = '443'] = (req.url ?? '').split(/:(?=\d+$)/);
    const port = Number(portText);
    if (!hostAllowed(host, allow) || !Number.isInteger(port)) {
      refuse(`${host}:${portText}`);
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('error', () => upstream.destroy());
  });
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  return {
    blocked: () => [...refused].map(([destination, count]) => ({ destination, count })),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(socketPath, { force: true });
    },
  };
}

/**
 * The bridge, run inside the sandbox by the agent's own node: a loopback port that forwards to
 * the proxy's socket, and the agent started with the proxy variables set. It passes on the
 * agent's exit code and signals, so the run sees the agent, not the bridge.
 */
export const BRIDGE_SCRIPT = `
import { createServer, connect } from 'node:net';
import { spawn } from 'node:child_process';
const [socketPath, file, ...args] = process.argv.slice(2);
const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const url = 'http://127.0.0.1:' + server.address().port;
  const env = { ...process.env, HTTPS_PROXY: url, HTTP_PROXY: url, https_proxy: url, http_proxy: url, ALL_PROXY: url, all_proxy: url, NO_PROXY: 'localhost,127.0.0.1', no_proxy: 'localhost,127.0.0.1' };
  const child = spawn(file, args, { stdio: 'inherit', env });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => { console.error(error.message); process.exit(127); });
  child.on('exit', (code, signal) => {
    server.close();
    if (signal) { process.removeAllListeners(signal); process.kill(process.pid, signal); }
    else process.exit(code ?? 1);
  });
});
`;

/**
 * A run's egress proxy, on a short socket path outside the sandbox (a socket path holds at most
 * 108 bytes) that the sandbox's account may reach, and the bridge script the sandbox runs in
 * front of the agent, in the run's home.
 */
export async function startRunEgress(
  home: string,
  allow: readonly string[],
  account: { uid: number; gid: number } | undefined,
): Promise<{ proxy: EgressProxy; egress: Egress }> {
  const egress = {
    socket: join(tmpdir(), `switchyard-egress-${randomUUID().slice(0, 8)}.sock`),
    bridge: join(home, '.switchyard-bridge.mjs'),
  };
  await writeFile(egress.bridge, BRIDGE_SCRIPT);
  const proxy = await startEgressProxy(egress.socket, allow);
  if (account) await chown(egress.socket, account.uid, account.gid);
  return { proxy, egress };
}
