/**
 * Server settings: what the operator decides, read from the environment and an optional
 * server config file (`SWITCHYARD_CONFIG`, YAML). Validated once at start; a bad value stops
 * the process with the variable's name and the problem.
 */
import { parseDuration } from '../domain/duration.ts';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { agentCatalogue, DEFAULT_AGENTS, type AgentCatalogue } from './agents.ts';

const fileSchema = z
  .object({
    agents: agentCatalogue.optional(),
    concurrency: z.number().int().min(1).optional(),
    /** The operator's instructions, added to every prompt before the repository's own. */
    prompt: z.string().max(16_000).optional(),
  })
  .strict();

const integer = (fallback: number, min = 0) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number ≥ ${min}` });
        return z.NEVER;
      }
      return parsed;
    });

const envSchema = z.object({
  APP_ID: z.string().optional(),
  PRIVATE_KEY: z.string().optional(),
  PRIVATE_KEY_PATH: z.string().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  WEBHOOK_PATH: z.string().default('/api/github/webhooks'),
  GHE_HOST: z.string().optional(),
  GHE_PROTOCOL: z.enum(['http', 'https']).default('https'),
  PORT: integer(3000),
  HOST: z.string().default('localhost'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  NODE_ENV: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  SWITCHYARD_DATA_DIR: z.string().default('.data'),
  SWITCHYARD_CONCURRENCY: integer(Math.max(availableParallelism() - 1, 1), 1),
  SWITCHYARD_CONFIG: z.string().optional(),
  SWITCHYARD_GITHUB_PACING: z.enum(['on', 'off']).default('on'),
  SWITCHYARD_BATCH_WINDOW: z.string().default('10s'),
  SWITCHYARD_SANDBOX: z.enum(['none', 'bubblewrap']).default('bubblewrap'),
  SWITCHYARD_SANDBOX_USER: z.string().default('nobody'),
  SWITCHYARD_AGENT_NETWORK: z.enum(['open', 'none']).default('open'),
  SWITCHYARD_RUN_RETRIES: integer(1),
  SWITCHYARD_SHUTDOWN_GRACE_SECONDS: integer(60),
  SWITCHYARD_HEARTBEAT_SECONDS: integer(10, 10),
  SWITCHYARD_MIN_FREE_DISK_MB: integer(1024),
  SWITCHYARD_STATUS_INTERVAL: z.string().default('3s'),
  SWITCHYARD_PROGRESS_INTERVAL: z.string().default('30s'),
  SWITCHYARD_GIT_AUTHOR_NAME: z.string().default('switchyard[bot]'),
  SWITCHYARD_GIT_AUTHOR_EMAIL: z.string().default('switchyard[bot]@users.noreply.github.com'),
  SWITCHYARD_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be the http(s) address the web role is reached at' })
    .optional(),
  GITHUB_CLIENT_ID: z.string().optional(),
  GITHUB_CLIENT_SECRET: z.string().optional(),
  SWITCHYARD_DASHBOARD_TOKEN: z.string().min(24, 'must be at least 24 characters (openssl rand -hex 24)').optional(),
});

export interface ServerSettings {
  appId: string | undefined;
  privateKey: string | undefined;
  webhookSecret: string;
  webhookPath: string;
  /** GitHub's REST API root: api.github.com, or `<protocol>://<GHE_HOST>/api/v3`. */
  baseUrl: string;
  port: number;
  host: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  logFormat: 'json' | 'pretty';
  production: boolean;
  databaseUrl: string | undefined;
  dataDir: string;
  /** How many runs one worker process executes at once. */
  concurrency: number;
  agents: AgentCatalogue;
  /** The operator's instructions for every prompt (server config file, `prompt`). */
  prompt: string | undefined;
  gitAuthor: { name: string; email: string };
  /**
   * Probot's client-side pacing of writes (one per second, one per three seconds for those that
   * notify people), which keeps an app under github.com's secondary rate limits. `off` suits a
   * GitHub Enterprise Server whose administrator disabled those limits, and the twin.
   */
  githubPacing: boolean;
  /** How long triggers for one repository are gathered into a batch, unless the repository says otherwise. */
  batchWindowMs: number;
  /** Where agents and checks run: in a bubblewrap sandbox (default), or, by the operator's explicit choice, unsandboxed as Switchyard's user. */
  sandbox: 'none' | 'bubblewrap';
  /** The account agents run as when Switchyard runs as root: a name or `uid:gid`. */
  sandboxUser: string;
  /** The agents' network: the host's (`open`), or loopback only (`none`, needs the sandbox). */
  agentNetwork: 'open' | 'none';
  /** The server config file, hidden from agents: it may hold other agents' keys. */
  serverConfigPath: string | undefined;
  privateKeyPath: string | undefined;
  /** A run does not start while the data directory's disk has less free space than this. */
  minFreeDiskBytes: number;
  /** How often a run interrupted by a lost worker or a shutdown is tried again. */
  runRetries: number;
  /** On SIGTERM, how long running runs may go on before they are handed back for a retry. */
  shutdownGraceMs: number;
  /** A worker that misses its runs' heartbeats this long is taken for dead. */
  heartbeatSeconds: number;
  /** The least time between two automatic edits of one issue's status comment and label. */
  statusIntervalMs: number;
  /** How often a running run's comment is brought up to date: elapsed time and the agent's last line. */
  progressIntervalMs: number;
  /** Where people reach the web role (its dashboard): status comments and pull requests link to run pages there. */
  publicUrl: string | undefined;
  /** The operator token that opens the dashboard (everything on it). */
  dashboardToken: string | undefined;
  /** The app's OAuth client (Probot's wizard writes it to .env): people sign in to the dashboard with GitHub. */
  oauth: { clientId: string; clientSecret: string } | undefined;
}

export class SettingsError extends Error {}

function describe(error: z.ZodError, prefix = ''): string {
  return error.issues.map((issue) => `${prefix}${issue.path.join('.') || '(root)'}: ${issue.message}`).join('\n');
}

/** Reads the server settings from an environment (default: `process.env`). */
export function loadServerSettings(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  // `LOG_FORMAT=` in a .env file (as .env.example and Probot's wizard leave them) means unset.
  const given = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) throw new SettingsError(`Invalid server settings:\n${describe(parsed.error)}`);
  const values = parsed.data;

  let file: z.infer<typeof fileSchema> = {};
  if (values.SWITCHYARD_CONFIG) {
    const path = resolve(values.SWITCHYARD_CONFIG);
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new SettingsError(`Cannot read SWITCHYARD_CONFIG ${path}: ${(error as Error).message}`);
    }
    const result = fileSchema.safeParse(raw ?? {});
    if (!result.success) throw new SettingsError(`Invalid server config ${path}:\n${describe(result.error)}`);
    file = result.data;
  }

  let privateKey = values.PRIVATE_KEY;
  if (!privateKey && values.PRIVATE_KEY_PATH) privateKey = readFileSync(values.PRIVATE_KEY_PATH, 'utf8');
  if (privateKey && !privateKey.includes('-----BEGIN')) {
    // Probot convention: a key that does not fit one env line may be base64-encoded.
    privateKey = Buffer.from(privateKey, 'base64').toString('utf8');
  }
  // Probot's wizard writes the key on one .env line, its newlines escaped as \n.
  if (privateKey && !privateKey.includes('\n') && privateKey.includes('\\n'))
    privateKey = privateKey.replace(/\\n/g, '\n');
  const production = values.NODE_ENV === 'production';
  if (values.SWITCHYARD_AGENT_NETWORK === 'none' && values.SWITCHYARD_SANDBOX === 'none') {
    throw new SettingsError(
      'Invalid server settings:\nSWITCHYARD_AGENT_NETWORK: "none" needs the sandbox; SWITCHYARD_SANDBOX=none cannot take an agent\'s network away',
    );
  }
  const windowMs = durationSetting('SWITCHYARD_BATCH_WINDOW', values.SWITCHYARD_BATCH_WINDOW);
  const statusIntervalMs = durationSetting('SWITCHYARD_STATUS_INTERVAL', values.SWITCHYARD_STATUS_INTERVAL);
  const progressIntervalMs = Math.max(
    durationSetting('SWITCHYARD_PROGRESS_INTERVAL', values.SWITCHYARD_PROGRESS_INTERVAL),
    statusIntervalMs,
    1_000,
  );

  const agents = { ...DEFAULT_AGENTS, ...file.agents };
  if (values.SWITCHYARD_SANDBOX === 'none') {
    const restricted = Object.entries(agents).filter(
      ([, agent]) => agent.network !== undefined && agent.network !== 'open',
    );
    if (restricted.length > 0)
      throw new SettingsError(
        `Invalid server config:\nagents.${restricted[0]?.[0] ?? ''}.network: a network policy needs the sandbox; SWITCHYARD_SANDBOX=none cannot take an agent's network away`,
      );
  }
  return {
    appId: values.APP_ID,
    privateKey,
    webhookSecret: values.WEBHOOK_SECRET ?? 'development',
    webhookPath: values.WEBHOOK_PATH,
    baseUrl: values.GHE_HOST ? `${values.GHE_PROTOCOL}://${values.GHE_HOST}/api/v3` : 'https://api.github.com',
    port: values.PORT,
    host: values.HOST,
    logLevel: values.LOG_LEVEL,
    logFormat: values.LOG_FORMAT ?? (production ? 'json' : 'pretty'),
    production,
    databaseUrl: values.DATABASE_URL,
    dataDir: resolve(values.SWITCHYARD_DATA_DIR),
    concurrency: file.concurrency ?? values.SWITCHYARD_CONCURRENCY,
    agents,
    prompt: file.prompt,
    gitAuthor: { name: values.SWITCHYARD_GIT_AUTHOR_NAME, email: values.SWITCHYARD_GIT_AUTHOR_EMAIL },
    githubPacing: values.SWITCHYARD_GITHUB_PACING === 'on',
    batchWindowMs: windowMs,
    sandbox: values.SWITCHYARD_SANDBOX,
    sandboxUser: values.SWITCHYARD_SANDBOX_USER,
    agentNetwork: values.SWITCHYARD_AGENT_NETWORK,
    serverConfigPath: values.SWITCHYARD_CONFIG ? resolve(values.SWITCHYARD_CONFIG) : undefined,
    privateKeyPath: values.PRIVATE_KEY_PATH ? resolve(values.PRIVATE_KEY_PATH) : undefined,
    minFreeDiskBytes: values.SWITCHYARD_MIN_FREE_DISK_MB * 1024 * 1024,
    runRetries: values.SWITCHYARD_RUN_RETRIES,
    shutdownGraceMs: values.SWITCHYARD_SHUTDOWN_GRACE_SECONDS * 1000,
    heartbeatSeconds: values.SWITCHYARD_HEARTBEAT_SECONDS,
    statusIntervalMs,
    progressIntervalMs,
    publicUrl: values.SWITCHYARD_PUBLIC_URL?.replace(/\/+$/, ''),
    dashboardToken: values.SWITCHYARD_DASHBOARD_TOKEN,
    oauth:
      values.GITHUB_CLIENT_ID && values.GITHUB_CLIENT_SECRET
        ? { clientId: values.GITHUB_CLIENT_ID, clientSecret: values.GITHUB_CLIENT_SECRET }
        : undefined,
  };
}

function durationSetting(name: string, value: string): number {
  const parsed = parseDuration(value);
  if (parsed === undefined) {
    throw new SettingsError(`Invalid server settings:\n${name}: "${value}" is not a duration (try 0, 10s or 1m)`);
  }
  return parsed;
}

/** Every secret value in the settings, for redaction. */
export function secretsOf(settings: ServerSettings): string[] {
  const secrets = [
    settings.privateKey,
    settings.webhookSecret === 'development' ? undefined : settings.webhookSecret,
    settings.dashboardToken,
    settings.oauth?.clientSecret,
  ];
  if (settings.databaseUrl) {
    try {
      const password = new URL(settings.databaseUrl).password;
      secrets.push(settings.databaseUrl, password ? decodeURIComponent(password) : undefined);
    } catch {
      secrets.push(settings.databaseUrl);
    }
  }
  return secrets.filter((s): s is string => typeof s === 'string' && s.length >= 6);
}
