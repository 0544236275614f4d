/**
 * What every job handler is given: the records, GitHub, the settings it reads, and a way to send
 * the next jobs of the flow. The roles (`src/roles/`) build one per process.
 */
import type { AgentCatalogue } from '../config/agents.ts';
import type { ServerSettings } from '../config/server.ts';
import type {
  CancelJob,
  CommandJob,
  DashboardJob,
  IntakeJob,
  MergeabilityJob,
  CiResultJob,
  PlanJob,
  ReportJob,
  RunJob,
  SetupJob,
} from '../domain/jobs.ts';
import type { ClientFactory, TokenSource } from '../github/client.ts';
import type { Logger } from '../log/logger.ts';
import type { Redactor } from '../log/redact.ts';
import type { Runner } from '../runner/execute.ts';
import type { RepoCache } from '../runner/repo-cache.ts';
import type { AttemptStore } from '../store/attempts.ts';
import type { BatchStore } from '../store/batches.ts';
import type { Database, Queryable } from '../store/db.ts';
import type { GitHubRecords } from '../store/github-records.ts';
import type { ObservabilityStore } from '../store/observability.ts';
import type { Store } from '../store/runs.ts';
import type { Metrics } from '../web/metrics.ts';
import type { RunRegistry } from './run-registry.ts';

/** The next steps of the flow, as jobs; each send is durable once it returns (or once `within` commits). */
export interface Send {
  intake: (job: IntakeJob) => Promise<void>;
  /** A plan of the repository after `delayMs`; a plan asked for now is never held back by a later one. */
  plan: (job: PlanJob, delayMs?: number) => Promise<void>;
  /** `false` when the issue already has a queued or active run job. */
  run: (job: RunJob, repo: string, issueNumber: number) => Promise<boolean>;
  cancel: (job: CancelJob) => Promise<void>;
  command: (job: CommandJob) => Promise<void>;
  setup: (job: SetupJob) => Promise<void>;
  /**
   * The issue's status, at the calm pace (at most once per status interval), at once when urgent,
   * or one interval from now when the state it reports may not last that long.
   */
  report: (job: ReportJob, within?: Queryable) => Promise<void>;
  /** The repository's dashboard issue, at the calm pace. */
  dashboard: (job: DashboardJob) => Promise<void>;
  /** A check of the repository's open pull requests against their bases (one per burst). */
  mergeability: (job: MergeabilityJob, within?: Queryable) => Promise<void>;
  /** A read of a commit's CI results (one per commit and burst of events). */
  ciResult: (job: CiResultJob) => Promise<void>;
}

/** The settings jobs read. */
export type JobSettings = Pick<
  ServerSettings,
  | 'concurrency'
  | 'batchWindowMs'
  | 'statusIntervalMs'
  | 'progressIntervalMs'
  | 'publicUrl'
  | 'prompt'
  | 'dataDir'
  | 'minFreeDiskBytes'
  | 'gitAuthor'
>;

/** A worker's own parts: runs execute here. */
export interface WorkerParts {
  runner: Runner;
  cache: RepoCache;
  runs: RunRegistry;
}

export interface JobContext {
  db: Database;
  store: Store;
  attempts: AttemptStore;
  records: GitHubRecords;
  batches: BatchStore;
  observability: ObservabilityStore;
  clientFor: ClientFactory;
  tokenFor: TokenSource;
  agents: AgentCatalogue;
  settings: JobSettings;
  redactor: Redactor;
  metrics: Metrics | undefined;
  send: Send;
  /** Present in a process with the worker role. */
  worker: WorkerParts | undefined;
  log: Logger;
}
