/**
 * Readiness, per role: the database answers (both roles), and a worker has room on its disk.
 * `/healthz` answers 200 when every check passes and 503 naming the failing ones otherwise, so
 * a load balancer or a container runtime takes an unhealthy process out.
 */
import { diskRoom } from '../runner/disk.ts';
import { pingDatabase, type Queryable } from '../store/db.ts';

export interface HealthReport {
  ok: boolean;
  roles: { web: boolean; worker: boolean };
  database: string;
  checks: Record<string, { ok: boolean; detail: string }>;
}

export interface HealthOptions {
  db: Queryable & { kind: string };
  roles: { web: boolean; worker: boolean };
  /** A worker's data directory and the free space a run needs. */
  disk?: { dir: string; minFreeBytes: number } | undefined;
  /** How long the database may take to answer. */
  timeoutMs?: number;
}

export async function checkHealth(options: HealthOptions): Promise<HealthReport> {
  const checks: HealthReport['checks'] = {};
  const timeout = options.timeoutMs ?? 2_000;
  try {
    const started = performance.now();
    await pingDatabase(options.db, timeout);
    checks.database = {
      ok: true,
      detail: `${options.db.kind} answered in ${Math.round(performance.now() - started)} ms`,
    };
  } catch (error) {
    checks.database = { ok: false, detail: `${options.db.kind}: ${(error as Error).message}` };
  }
  if (options.roles.worker && options.disk) {
    const room = await diskRoom(options.disk.dir, options.disk.minFreeBytes);
    checks.disk = { ok: room.enough, detail: room.sentence };
  }
  return {
    ok: Object.values(checks).every((check) => check.ok),
    roles: options.roles,
    database: options.db.kind,
    checks,
  };
}
