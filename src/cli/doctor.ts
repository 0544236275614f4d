/**
 * `switchyard doctor`: what a maintainer's first run would otherwise find out. Each check prints
 * one line (✓ or ✗ and what it saw); the exit code is 1 when any failed. Nothing is changed:
 * GitHub is asked who the app is, the database `select 1`, each agent for its version.
 */
import { createPrivateKey } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { diskRoom } from '../runner/disk.ts';
import { delimiter, join } from 'node:path';
import { createAppAuth } from '@octokit/auth-app';
import { request } from '@octokit/request';
import { execa } from 'execa';
import type { AgentDefinition } from '../config/agents.ts';
import { PRESETS } from '../agents/presets.ts';
import type { ServerSettings } from '../config/server.ts';
import { describeSupport, detectCgroups } from '../runner/limits.ts';
import { checkSandbox } from '../runner/sandbox.ts';
import { openDatabase, pingDatabase } from '../store/db.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

type Probe = () => Promise<string>;

async function run(name: string, probe: Probe): Promise<Check> {
  try {
    return { name, ok: true, detail: await probe() };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message.split('\n')[0] ?? String(error) };
  }
}

/** Where `file` is found: as given when it holds a slash, else on PATH. */
async function locate(file: string, path = process.env.PATH ?? ''): Promise<string> {
  const candidates = file.includes('/')
    ? [file]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, file));
  for (const candidate of candidates) {
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new Error(`${file} is not installed${file.includes('/') ? '' : ' (not found on PATH)'}`);
}

async function agentProbe(agent: AgentDefinition): Promise<string> {
  if (agent.kind === 'patch') return `built in (git apply), ${(await execa('git', ['--version'])).stdout}`;
  const file =
    agent.kind === 'command'
      ? (agent.command[0] ?? '')
      : (agent.executable ?? PRESETS[agent.kind].launch({ promptFile: '', summaryFile: '' }, {}).argv[0] ?? '');
  const path = await locate(file);
  if (agent.kind === 'command') return path;
  const version = await execa(path, ['--version'], {
    reject: false,
    timeout: 20_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    extendEnv: false,
  });
  const line = `${version.stdout}\n${version.stderr}`.split('\n').find((l) => l.trim()) ?? '';
  if (version.exitCode !== 0)
    throw new Error(`${path} --version failed: ${line || `exit ${String(version.exitCode)}`}`);
  const missing = PRESETS[agent.kind].env.filter((name) => !process.env[name] && !agent.env[name]);
  const credentials = missing.length === PRESETS[agent.kind].env.length ? `; none of ${missing.join(', ')} is set` : '';
  return `${path}, ${line.trim()}${credentials}`;
}

export async function doctor(settings: ServerSettings): Promise<Check[]> {
  const checks: Check[] = [];
  checks.push(
    await run('private key', async () => {
      if (!settings.appId || !settings.privateKey)
        throw new Error(
          'APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) are not set: run `npm start` once for the set-up wizard',
        );
      const key = createPrivateKey(settings.privateKey);
      return `APP_ID ${settings.appId}, ${key.asymmetricKeyType?.toUpperCase() ?? 'a'} key of ${key.asymmetricKeyDetails?.modulusLength ?? '?'} bits`;
    }),
  );
  checks.push(
    await run('GitHub', async () => {
      if (!settings.appId || !settings.privateKey) throw new Error('no credentials to try');
      const api = request.defaults({ baseUrl: settings.baseUrl });
      const auth = createAppAuth({ appId: settings.appId, privateKey: settings.privateKey, request: api });
      const { token } = await auth({ type: 'app' });
      const headers = { authorization: `bearer ${token}` };
      const { data: app } = await api('GET /app', { headers });
      const { data: installations } = await api('GET /app/installations', { headers, per_page: 100 });
      return `${settings.baseUrl} knows the app as ${app?.slug ?? '?'}, installed on ${installations.length} account${installations.length === 1 ? '' : 's'}`;
    }),
  );
  checks.push(
    await run('database', async () => {
      const db = await openDatabase(settings);
      try {
        await pingDatabase(db, 10_000);
        return db.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL) answers' : `PGlite under ${settings.dataDir}/db`;
      } finally {
        await db.close();
      }
    }),
  );
  checks.push(
    await run('sandbox', async () => {
      if (settings.sandbox === 'none') return 'SWITCHYARD_SANDBOX=none: agents run unsandboxed, as this user';
      const result = await checkSandbox(settings.sandbox, {
        userName: settings.sandboxUser,
        dataDir: settings.dataDir,
      });
      return `bubblewrap holds: a user namespace without capabilities${result.user ? `, agents as ${result.user.name}` : ''}`;
    }),
  );
  // Not a failure where it is missing: the output limit holds anyway, and the operator is told.
  checks.push(await run('limits', async () => describeSupport(await detectCgroups())));
  checks.push(
    await run('disk', async () => {
      await mkdir(settings.dataDir, { recursive: true });
      const room = await diskRoom(settings.dataDir, settings.minFreeDiskBytes);
      if (!room.enough) throw new Error(room.sentence);
      return room.sentence;
    }),
  );
  for (const [name, agent] of Object.entries(settings.agents))
    checks.push(await run(`agent ${name}`, () => agentProbe(agent)));
  return checks;
}

export function formatChecks(checks: readonly Check[]): string {
  return checks.map((check) => `${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}`).join('\n');
}
