/**
 * What an issue shows of its newest run: the status comment (one per issue, edited in place)
 * and the status label. The report job (`src/jobs/report.ts`) decides when; this writes.
 */
import { createHash } from 'node:crypto';
import type { StatusLabelNames } from '../config/repo.ts';
import type { StatusRow } from '../store/github-records.ts';
import type { RunRecord } from '../domain/run.ts';
import { repoParams, statusOf, type GitHubClient } from './client.ts';
import { isStatusComment, renderStatus, statusViewOf } from './status-comment.ts';

/**
 * The status label a run shows, given the one the issue wears (`undefined`: none; a cancelled run
 * wants none). A run that is only queued (in its batch window, or handed to a worker that is
 * about to start it) keeps the label it has: that state lasts seconds, and wearing then shedding a
 * label for it costs two requests and two entries on the issue's timeline. Only an earlier run's
 * outcome gives way, so that it never stands for this run. A run that waits (for its
 * dependencies, a limit or a free slot) wears the queued label.
 */
export function statusLabelOf(
  run: Pick<RunRecord, 'state'>,
  names: StatusLabelNames,
  current: string | undefined,
): string | undefined {
  switch (run.state) {
    case 'queued':
      return current === names.done || current === names.failed ? names.queued : current;
    case 'waiting':
      return names.queued;
    case 'running':
      return names.running;
    case 'succeeded':
      return names.done;
    case 'failed':
    case 'timed_out':
    case 'stalled':
    case 'over_limit':
      return names.failed;
    case 'cancelled':
      return undefined;
  }
}

/** What was written: the row to remember. */
export interface StatusWrite {
  commentId: number | undefined;
  bodyHash: string | undefined;
  label: string | undefined;
}

/** The status comment's body for the run as it is at `now`, and its hash. */
export function statusBody(
  run: RunRecord,
  row: Pick<StatusRow, 'note'>,
  now: number,
  publicUrl: string | undefined,
): { body: string; hash: string } {
  const body = renderStatus(statusViewOf(run, row.note, now, publicUrl));
  return { body, hash: createHash('sha256').update(body).digest('hex') };
}

/**
 * Brings the issue's comment (when its body changed) and, given the label names, its status
 * label in step with `run` (`null`: the repository's config is broken, so no label is wanted;
 * `undefined`: the label is left as it is). Returns what the issue shows now.
 */
export async function writeStatus(
  octokit: GitHubClient,
  run: RunRecord,
  row: StatusRow,
  options: {
    labels: StatusLabelNames | null | undefined;
    now: number;
    publicUrl: string | undefined;
    /**
     * Records, before a comment is created, that one may be: a process killed between GitHub's
     * answer and the record of the comment's id must not make the next one create a second.
     */
    beforeCreate?: (() => Promise<void>) | undefined;
  },
): Promise<StatusWrite> {
  const { body, hash } = statusBody(run, row, options.now, options.publicUrl);
  let commentId = row.commentId;
  if (hash !== row.bodyHash || commentId === undefined) {
    // Nothing was ever written for the issue, and it had no comments when the trigger came: no
    // status comment can exist, so none is looked for.
    const mayExist = row.bodyHash !== undefined || run.trigger.issue.comments !== 0;
    commentId = await writeComment(octokit, run, commentId, body, mayExist, options.beforeCreate);
  }
  let label = row.label;
  const wanted = options.labels ? statusLabelOf(run, options.labels, label) : undefined;
  if (options.labels !== undefined && wanted !== label) {
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
  return { commentId, bodyHash: hash, label };
}

/** Edits the status comment, or creates it (finding one an earlier database forgot first). */
async function writeComment(
  octokit: GitHubClient,
  run: RunRecord,
  known: number | undefined,
  body: string,
  mayExist: boolean,
  beforeCreate: (() => Promise<void>) | undefined,
): Promise<number> {
  const repo = repoParams(run.trigger.repo);
  const params = { ...repo, issue_number: run.issueNumber };
  const id = known ?? (mayExist ? await findStatusComment(octokit, params) : undefined);
  if (id !== undefined) {
    try {
      await octokit.rest.issues.updateComment({ ...repo, comment_id: id, body });
      return id;
    } catch (error) {
      // Deleted, or not ours to edit: write a new one.
      if (statusOf(error) !== 404 && statusOf(error) !== 403) throw error;
    }
  }
  await beforeCreate?.();
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
