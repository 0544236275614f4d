/**
 * Keeps each issue's status comment and status label in step with its newest run, calmly: at
 * most one write per issue every `intervalMs` (state changes in between are folded into the
 * next write), and the last state is always written. A write renders the run record as it is
 * then, so a late write never shows an older state. An urgent write (the answer to a person)
 * skips the wait for the comment; the label always keeps the pace.
 */
import { createHash } from 'node:crypto';
import { parseRepoConfig, type StatusLabelNames } from '../config/repo.ts';
import type { Logger } from '../log/logger.ts';
import type { GitHubRecords, StatusRow } from '../store/github-records.ts';
import type { Store } from '../store/records.ts';
import type { RunRecord } from '../domain/run.ts';
import { repoParams, statusOf, type ClientFactory, type GitHubClient } from './client.ts';
import { isStatusComment, renderStatus, statusViewOf } from './status-comment.ts';

export interface StatusTarget {
  repo: string;
  issueNumber: number;
}

export interface StatusReporterOptions {
  store: Store;
  records: GitHubRecords;
  clientFor: ClientFactory;
  /** The least time between two writes to one issue. */
  intervalMs: number;
  /** Where the dashboard is reached: comments link to each run's page there. */
  publicUrl?: string | undefined;
  /** Told of each run whose status was written (the repository's dashboard issue follows). */
  afterWrite?: ((run: RunRecord) => void) | undefined;
  log: Logger;
}

interface Pending {
  target: StatusTarget;
  urgent: boolean;
  firing: boolean;
  timer: NodeJS.Timeout | undefined;
  done: Promise<Error | undefined>;
  settle: (error: Error | undefined) => void;
}

/** The status label a run shows, or none (a cancelled run). */
export function statusLabelOf(run: Pick<RunRecord, 'state'>, names: StatusLabelNames): string | undefined {
  switch (run.state) {
    case 'queued':
    case 'waiting':
      return names.queued;
    case 'running':
      return names.running;
    case 'succeeded':
      return names.done;
    case 'failed':
    case 'timed_out':
    case 'stalled':
      return names.failed;
    case 'cancelled':
      return undefined;
  }
}

function statusLabelsOf(run: RunRecord): StatusLabelNames | null {
  const parsed = parseRepoConfig(run.config ?? {});
  return parsed.ok ? parsed.config.statusLabels : null;
}

export class StatusReporter {
  readonly #options: StatusReporterOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #inFlight = new Map<string, Promise<unknown>>();
  #draining = false;

  constructor(options: StatusReporterOptions) {
    this.#options = options;
  }

  /**
   * Asks for the issue's status to be written. Resolves once a write that includes the state
   * of this moment is done, with the error if it failed (it never rejects: callers need not wait).
   */
  refresh(target: StatusTarget, options: { urgent?: boolean } = {}): Promise<Error | undefined> {
    const key = `${target.repo}#${target.issueNumber}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      let settle: (error: Error | undefined) => void = () => undefined;
      const done = new Promise<Error | undefined>((resolve) => (settle = resolve));
      pending = { target, urgent: options.urgent ?? false, firing: false, timer: undefined, done, settle };
      this.#pending.set(key, pending);
      this.#arm(key, pending, 0);
    } else if (options.urgent && !pending.urgent) {
      pending.urgent = true;
      this.#arm(key, pending, 0);
    }
    return pending.done;
  }

  /** Writes now, past the interval: the answer to a person's action. Throws when the write fails. */
  async writeNow(target: StatusTarget): Promise<void> {
    const error = await this.refresh(target, { urgent: true });
    if (error) throw error;
  }

  /** Writes everything pending at once, labels included: the process is stopping. */
  async drain(): Promise<void> {
    this.#draining = true;
    const pending = [...this.#pending.entries()];
    for (const [key, entry] of pending) {
      entry.urgent = true;
      this.#arm(key, entry, 0);
    }
    await Promise.all(pending.map(([, entry]) => entry.done));
  }

  #arm(key: string, pending: Pending, delayMs: number): void {
    if (pending.firing) return;
    clearTimeout(pending.timer);
    pending.timer = setTimeout(() => void this.#fire(key, pending), delayMs);
    // A pending write does not hold a stopping process open: `drain` writes it first.
    pending.timer.unref();
  }

  async #fire(key: string, pending: Pending): Promise<void> {
    pending.firing = true;
    pending.timer = undefined;
    try {
      await this.#inFlight.get(key);
      const { target } = pending;
      const row = await this.#options.records.status(target.repo, target.issueNumber);
      const waitMs =
        pending.urgent || !row.writtenAt ? 0 : row.writtenAt.getTime() + this.#options.intervalMs - Date.now();
      if (waitMs > 0) {
        pending.firing = false;
        this.#arm(key, pending, waitMs);
        return;
      }
      // From here on, a new refresh starts a new pending write (it waits for this one).
      this.#pending.delete(key);
      // An urgent write answers a person with the comment; the label follows at the calm pace,
      // so a run that ends within the interval never wears (and sheds) the labels in between.
      const flight = this.#write(target, row, { labels: !pending.urgent || this.#draining });
      this.#inFlight.set(
        key,
        flight.catch(() => undefined),
      );
      await flight;
      pending.settle(undefined);
      if (pending.urgent && !this.#draining) void this.refresh(target);
    } catch (error) {
      if (this.#pending.get(key) === pending) this.#pending.delete(key);
      this.#options.log.warn(
        { err: error, repo: pending.target.repo, issue: pending.target.issueNumber },
        'could not write the status comment',
      );
      pending.settle(error instanceof Error ? error : new Error(String(error)));
    } finally {
      if (this.#inFlight.has(key) && !this.#pending.has(key)) this.#inFlight.delete(key);
    }
  }

  /**
   * Writes the status if the comment does not show the run as it is now (by the hash of what was
   * last written): a process that stopped between a run's end and its comment leaves it stale.
   */
  async repairIfStale(target: StatusTarget): Promise<boolean> {
    const { store, records } = this.#options;
    const run = await store.latestRunFor(target.repo, target.issueNumber);
    if (!run) return false;
    const row = await records.status(target.repo, target.issueNumber);
    const body = renderStatus(statusViewOf(run, row.note, Date.now(), this.#options.publicUrl));
    if (createHash('sha256').update(body).digest('hex') === row.bodyHash) return false;
    void this.refresh(target);
    return true;
  }

  async #write(target: StatusTarget, row: StatusRow, options: { labels: boolean }): Promise<void> {
    const { store, records, clientFor } = this.#options;
    const run = await store.latestRunFor(target.repo, target.issueNumber);
    if (!run) return;
    const octokit = await clientFor(run.installationId);
    const body = renderStatus(statusViewOf(run, row.note, Date.now(), this.#options.publicUrl));
    const bodyHash = createHash('sha256').update(body).digest('hex');
    let commentId = row.commentId;
    if (bodyHash !== row.bodyHash || commentId === undefined)
      commentId = await writeComment(octokit, run, commentId, body);

    const names = statusLabelsOf(run);
    const wanted = names ? statusLabelOf(run, names) : undefined;
    let label = row.label;
    if (options.labels && wanted !== label) {
      const params = { ...repoParams(run.trigger.repo), issue_number: run.issueNumber };
      if (label) {
        await octokit.rest.issues.removeLabel({ ...params, name: label }).catch((error: unknown) => {
          // Someone removed it already.
          if (statusOf(error) !== 404) throw error;
        });
      }
      if (wanted) await octokit.rest.issues.addLabels({ ...params, labels: [wanted] });
      label = wanted;
    }
    await records.saveStatus(target.repo, target.issueNumber, { commentId, bodyHash, label });
    this.#options.afterWrite?.(run);
  }
}

/** Edits the status comment, or creates it (finding one an earlier database forgot first). */
async function writeComment(
  octokit: GitHubClient,
  run: RunRecord,
  known: number | undefined,
  body: string,
): Promise<number> {
  const repo = repoParams(run.trigger.repo);
  const params = { ...repo, issue_number: run.issueNumber };
  // An issue without comments when the trigger came cannot hold a status comment: no need to look.
  const id = known ?? (run.trigger.issue.comments === 0 ? undefined : await findStatusComment(octokit, params));
  if (id !== undefined) {
    try {
      await octokit.rest.issues.updateComment({ ...repo, comment_id: id, body });
      return id;
    } catch (error) {
      // Deleted, or not ours to edit: write a new one.
      if (statusOf(error) !== 404 && statusOf(error) !== 403) throw error;
    }
  }
  const { data } = await octokit.rest.issues.createComment({ ...params, body });
  return data.id;
}

async function findStatusComment(
  octokit: GitHubClient,
  params: { owner: string; repo: string; issue_number: number },
): Promise<number | undefined> {
  for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, { ...params, per_page: 100 })) {
    const found = page.data.find(isStatusComment);
    if (found) return found.id;
  }
  return undefined;
}
