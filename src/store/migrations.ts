/**
 * Versioned SQL migrations, applied in order at start inside one transaction that holds an
 * advisory lock, so that several processes starting at once apply each migration exactly once.
 */
import type { Database } from './db.ts';

interface Migration {
  version: number;
  name: string;
  sql: string[];
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'deliveries, runs and status comments',
    sql: [
      `create table switchyard_deliveries (
         id text primary key,
         event text not null,
         received_at timestamptz not null default now()
       )`,
      `create table switchyard_runs (
         id uuid primary key default gen_random_uuid(),
         repo text not null,
         issue_number integer not null,
         installation_id bigint not null,
         agent text not null,
         state text not null,
         attempt integer not null default 1,
         branch text not null,
         trigger jsonb not null,
         comment_id bigint,
         pull_request_number integer,
         pull_request_url text,
         reason text,
         log_tail text,
         diff_stat jsonb,
         agent_ms integer,
         created_at timestamptz not null default now(),
         started_at timestamptz,
         finished_at timestamptz
       )`,
      // One live run per issue, whichever process asks.
      `create unique index switchyard_runs_one_live_per_issue
         on switchyard_runs (repo, issue_number) where state in ('queued', 'waiting', 'running')`,
      `create table switchyard_status_comments (
         repo text not null,
         issue_number integer not null,
         comment_id bigint not null,
         primary key (repo, issue_number)
       )`,
    ],
  },
  {
    version: 2,
    name: 'batches and plan fields of runs',
    sql: [
      `create table switchyard_batches (
         id uuid primary key default gen_random_uuid(),
         repo text not null,
         window_ms integer not null,
         opened_at timestamptz not null default now(),
         closed_at timestamptz,
         report jsonb
       )`,
      `create unique index switchyard_batches_one_open_per_repo on switchyard_batches (repo) where closed_at is null`,
      `alter table switchyard_runs
         add column batch_id uuid references switchyard_batches (id),
         add column priority integer not null default 2,
         add column base_branch text,
         add column waiting_reason text,
         add column dispatched_at timestamptz,
         add column depends_on integer[] not null default '{}',
         add column acknowledged_at timestamptz`,
    ],
  },
  {
    version: 3,
    name: 'cancellation and checks',
    sql: [
      `alter table switchyard_runs
         add column cancel_requested_at timestamptz,
         add column cancel_reason text,
         add column checks jsonb`,
    ],
  },
  {
    version: 4,
    name: 'attempts',
    sql: [
      `create table switchyard_attempts (
         run_id uuid not null references switchyard_runs (id),
         attempt integer not null,
         worker text not null,
         started_at timestamptz not null default now(),
         ended_at timestamptz,
         outcome text,
         primary key (run_id, attempt)
       )`,
    ],
  },
  {
    version: 5,
    name: 'dependencies read once per run',
    sql: [
      `alter table switchyard_runs
         add column foreign_dependencies text[] not null default '{}',
         add column dependencies_read_at timestamptz`,
    ],
  },
  {
    version: 6,
    name: 'repository config snapshot per run',
    sql: [`alter table switchyard_runs add column config jsonb`],
  },
  {
    version: 7,
    name: 'the conversation on GitHub: status comment state, pull request fate, config cache',
    sql: [
      `alter table switchyard_runs
         add column kept_branch boolean not null default false,
         add column pull_request_state text,
         add column comments jsonb`,
      `alter table switchyard_status_comments
         add column written_at timestamptz,
         add column body_hash text,
         add column label text,
         add column note text`,
      `alter table switchyard_status_comments alter column comment_id drop not null`,
      `create table switchyard_repo_configs (
         repo text primary key,
         raw jsonb,
         problems jsonb,
         pushed_at text,
         read_at timestamptz not null default now()
       )`,
      `create table switchyard_repo_labels (
         repo text primary key,
         labels_hash text not null,
         ensured_at timestamptz not null default now()
       )`,
    ],
  },
  {
    version: 8,
    name: "the progress of a running run, the branch that keeps an interrupted attempt's work, the agent's usage",
    sql: [
      `alter table switchyard_runs add column progress text, add column rescued_branch text, add column usage jsonb`,
    ],
  },
  {
    version: 9,
    name: "the agent's final message; run logs shipped for the dashboard; workers and their heartbeats; repository dashboard issues",
    sql: [
      `alter table switchyard_runs add column summary text`,
      `create table switchyard_run_logs (
         run_id text not null,
         seq bigserial,
         attempt integer not null,
         at timestamptz not null default now(),
         chunk text not null,
         primary key (run_id, seq)
       )`,
      `create table switchyard_workers (
         id text primary key,
         host text not null,
         pid integer not null,
         roles text not null,
         slots integer not null,
         running integer not null default 0,
         started_at timestamptz not null default now(),
         heartbeat_at timestamptz not null default now()
       )`,
      `create table switchyard_repo_dashboards (
         repo text primary key,
         issue_number integer not null,
         body_hash text
       )`,
    ],
  },
  {
    version: 10,
    name: "the commit Switchyard pushed to a run's branch, the agent repairs of its pull request, and its mergeability",
    sql: [
      `alter table switchyard_runs add column head_sha text, add column repairs integer not null default 0, add column mergeability jsonb`,
    ],
  },
  {
    version: 11,
    name: 'how long each step of a run took',
    sql: [`alter table switchyard_runs add column steps jsonb`],
  },
  {
    version: 12,
    name: "the rounds of fixes for a pull request's failing checks, its CI as last read, and the commit a round starts from",
    sql: [
      `alter table switchyard_runs add column check_rounds integer not null default 0, add column ci_checks jsonb, add column start_from text`,
    ],
  },
  {
    version: 13,
    name: 'the newest push seen of each branch, so that a mergeability pass with nothing new to find asks GitHub nothing',
    sql: [
      `create table switchyard_branch_pushes (
         repo text not null, ref text not null, sha text not null, seen_at timestamptz not null default now(),
         primary key (repo, ref))`,
    ],
  },
];

const LOCK_KEY = 7_311_964_201;

export async function migrate(db: Database): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query(`create table if not exists switchyard_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set(
      (await tx.query<{ version: number }>('select version from switchyard_migrations')).map((r) => r.version),
    );
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.sql) await tx.query(statement);
      await tx.query('insert into switchyard_migrations (version, name) values ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
