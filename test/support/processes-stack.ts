/**
 * Switchyard as separate processes, as an operator runs it: `node src/main.ts web|worker|all`,
 * each with its own data directory, against the twin. With PostgreSQL (scale-out) or PGlite
 * (one `all` process). Processes can be killed and started again.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { stringify as toYaml } from 'yaml';
import type { AgentCatalogue } from '../../src/config/agents.ts';
import type { GitHubTwin } from '@switchyard/github-twin';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

/** A new, empty database on the test PostgreSQL server; dropped by the returned function. */
export async function freshDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `switchyard_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export interface SwitchyardProcess {
  name: string;
  role: 'web' | 'worker' | 'all';
  dataDir: string;
  subprocess: ResultPromise;
  lines: string[];
  exited: boolean;
}

export interface ProcessStackOptions {
  twin: GitHubTwin;
  databaseUrl: string | undefined;
  agents: AgentCatalogue;
  concurrency: number;
  env: Record<string, string>;
  /** The process of a stack that lives in one data directory across restarts (embedded mode). */
  sharedDataDir?: string;
}

export class ProcessStack {
  readonly processes = new Map<string, SwitchyardProcess>();
  readonly logs: string[] = [];
  readonly webPort: Promise<number>;
  readonly #options: ProcessStackOptions;
  readonly #work: Promise<string>;

  constructor(options: ProcessStackOptions) {
    this.#options = options;
    this.webPort = freePort();
    // Searchable by others: the sandbox runs agents as nobody, who must reach the data directories inside.
    this.#work = mkdtemp(join(tmpdir(), 'switchyard-procs-')).then(async (dir) => {
      await chmod(dir, 0o711);
      return dir;
    });
  }

  get databaseUrl(): string | undefined {
    return this.#options.databaseUrl;
  }

  get dataDirs(): string[] {
    return [...new Set([...this.processes.values()].map((p) => p.dataDir))];
  }

  async #environment(role: string, dataDir: string): Promise<Record<string, string>> {
    const work = await this.#work;
    const config = join(work, 'switchyard.server.yml');
    await writeFile(config, toYaml({ agents: this.#options.agents }));
    const { twin } = this.#options;
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      LANG: 'C.UTF-8',
      NODE_ENV: 'test',
      APP_ID: String(twin.app.id),
      PRIVATE_KEY: twin.app.privateKey,
      WEBHOOK_SECRET: twin.app.webhookSecret,
      GHE_HOST: twin.host,
      GHE_PROTOCOL: 'http',
      HOST: '127.0.0.1',
      PORT: role === 'worker' ? '0' : String(await this.webPort),
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      SWITCHYARD_DATA_DIR: dataDir,
      SWITCHYARD_CONFIG: config,
      SWITCHYARD_CONCURRENCY: String(this.#options.concurrency),
      SWITCHYARD_BATCH_WINDOW: '0',
      SWITCHYARD_STATUS_INTERVAL: '1s',
      SWITCHYARD_GITHUB_PACING: 'off',
      SWITCHYARD_SHUTDOWN_GRACE_SECONDS: '20',
      ...(this.#options.databaseUrl ? { DATABASE_URL: this.#options.databaseUrl } : {}),
      ...this.#options.env,
    };
  }

  /** Starts a process and waits until it is ready (web: /healthz answers; worker: it says so). */
  async start(
    name: string,
    role: 'web' | 'worker' | 'all',
    env: Record<string, string> = {},
  ): Promise<SwitchyardProcess> {
    const previous = this.processes.get(name);
    const dataDir =
      previous?.dataDir ?? this.#options.sharedDataDir ?? (await mkdtemp(join(await this.#work, `${name}-`)));
    const subprocess = execa('node', [MAIN, role], {
      env: { ...(await this.#environment(role, dataDir)), ...env },
      extendEnv: false,
      reject: false,
      buffer: false,
      stdin: 'ignore',
    });
    const entry: SwitchyardProcess = { name, role, dataDir, subprocess, lines: [], exited: false };
    void subprocess.then(() => {
      entry.exited = true;
    });
    this.processes.set(name, entry);
    let partial = '';
    const collect = (chunk: Buffer) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        entry.lines.push(line);
        this.logs.push(line);
      }
    };
    subprocess.stdout?.on('data', collect);
    subprocess.stderr?.on('data', collect);
    const port = await this.webPort;
    const isReady = async () => {
      if (role === 'worker') return entry.lines.some((line) => line.includes('worker started'));
      const health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return health?.ok === true && (role === 'web' || entry.lines.some((line) => line.includes('worker started')));
    };
    const deadline = Date.now() + 60_000;
    while (!(await isReady())) {
      if (entry.exited) throw new Error(`${name} exited early:\n${entry.lines.slice(-20).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`${name} did not get ready:\n${entry.lines.slice(-20).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return entry;
  }

  /** Kills a process and waits for it to be gone; returns its exit code and signal. */
  async kill(
    name: string,
    signal: NodeJS.Signals,
  ): Promise<{ exitCode: number | undefined; signal: string | undefined }> {
    const entry = this.processes.get(name);
    if (!entry) throw new Error(`no process ${name}`);
    entry.subprocess.kill(signal);
    const result = await entry.subprocess;
    return { exitCode: result.exitCode, signal: result.signal };
  }

  async webhookUrl(): Promise<string> {
    return `http://127.0.0.1:${await this.webPort}/api/github/webhooks`;
  }

  async stop(): Promise<void> {
    for (const entry of this.processes.values()) {
      if (!entry.exited) entry.subprocess.kill('SIGKILL');
      await entry.subprocess;
    }
    // A killed worker's git child can still be writing into its mirror for a moment.
    await rm(await this.#work, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}
