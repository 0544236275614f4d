/**
 * Process entry: `node src/main.ts [web|worker|all]` (default `all`, the embedded mode).
 * Without APP_ID and PRIVATE_KEY outside production, Probot's set-up wizard registers the app
 * from app.yml, exactly as `probot run` does.
 */
import { existsSync } from 'node:fs';
import { run } from 'probot';
import { loadServerSettings, SettingsError } from './config/server.ts';
import { startSwitchyard, type Roles } from './roles/index.ts';

const ROLES: Record<string, Roles> = {
  all: { web: true, worker: true },
  web: { web: true, worker: false },
  worker: { web: false, worker: true },
};

/**
 * Reads `.env` from the working directory, as `probot run` does: where Probot's set-up wizard
 * writes APP_ID, PRIVATE_KEY and WEBHOOK_SECRET. Variables already set in the environment win.
 */
export function loadDotEnv(path = '.env'): boolean {
  if (!existsSync(path)) return false;
  process.loadEnvFile(path);
  return true;
}

export async function main(argv: string[]): Promise<void> {
  const role = argv[0] ?? 'all';
  const roles = ROLES[role];
  if (!roles) throw new SettingsError(`Unknown role "${role}": use web, worker or all.`);
  loadDotEnv();
  const settings = loadServerSettings();
  if (!settings.appId || !settings.privateKey) {
    if (settings.production)
      throw new SettingsError('APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) are required in production.');
    // Set-up mode: Probot serves the manifest flow and writes the credentials to .env.
    await run(() => undefined);
    return;
  }
  const switchyard = await startSwitchyard({ settings, roles });
  let stopping = false;
  const shutdown = (signal: string) => {
    // A persistent listener: execa's exit hook re-raises a signal that no listener is left for.
    if (stopping) return;
    stopping = true;
    switchyard.log.info(
      { signal, graceMs: settings.shutdownGraceMs },
      'shutting down: no new runs, running ones get the grace period',
    );
    switchyard.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        switchyard.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof SettingsError ? error.message : error);
    process.exit(1);
  });
}
