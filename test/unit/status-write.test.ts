import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/domain/run.ts';
import type { GitHubClient } from '../../src/github/client.ts';
import { writeStatus } from '../../src/github/status.ts';
import { STATUS_MARKER } from '../../src/github/status-comment.ts';
import type { StatusRow } from '../../src/store/github-records.ts';

/** An issue's comments, with the three calls a status write makes. */
function issueComments() {
  const comments: Array<{ id: number; body: string; user: { type: string } }> = [];
  const rest = {
    createComment: ({ body }: { body: string }) => {
      comments.push({ id: 100 + comments.length, body, user: { type: 'Bot' } });
      return Promise.resolve({ data: { id: 99 + comments.length } });
    },
    updateComment: ({ comment_id, body }: { comment_id: number; body: string }) => {
      const found = comments.find((c) => c.id === comment_id);
      if (found) found.body = body;
      return Promise.resolve({ data: {} });
    },
    listComments: () => Promise.resolve({ data: comments }),
  };
  const octokit = {
    rest: { issues: rest },
    paginate: {
      iterator: async function* () {
        yield { data: comments };
      },
    },
  };
  // Only what a status write calls is there: a whole client is not needed to count comments.
  return { comments, octokit: octokit as unknown as GitHubClient };
}

// The fields a status comment is rendered from; the rest of a run record plays no part here.
const run = {
  id: 'r1',
  agent: 'patch',
  attempt: 1,
  state: 'queued',
  issueNumber: 7,
  trigger: {
    label: 'agent:patch',
    repo: { owner: 'o', name: 'r', fullName: 'o/r', cloneUrl: 'u', defaultBranch: 'main' },
    issue: { comments: 0 },
  },
  pullRequestNumber: null,
  checks: [],
} as unknown as RunRecord;

const empty: StatusRow = {
  commentId: undefined,
  writtenAt: undefined,
  bodyHash: undefined,
  label: undefined,
  note: undefined,
};

describe('writeStatus', () => {
  it('never writes a second status comment after a crash between creating one and recording it', async () => {
    const { comments, octokit } = issueComments();
    let recorded: StatusRow = empty;
    const options = {
      labels: undefined,
      now: Date.now(),
      publicUrl: undefined,
      beforeCreate: () => {
        recorded = { ...recorded, bodyHash: 'creating' };
        return Promise.resolve();
      },
    };
    // The first write creates the comment; the process dies before it records the id.
    await writeStatus(octokit, run, empty, options);
    expect(comments).toHaveLength(1);
    expect(recorded.bodyHash).toBe('creating');
    // The next process finds the comment instead of making another.
    const written = await writeStatus(octokit, { ...run, state: 'running' }, recorded, options);
    expect(comments).toHaveLength(1);
    expect(written.commentId).toBe(comments[0]?.id);
    expect(comments[0]?.body.startsWith(STATUS_MARKER)).toBe(true);
    expect(comments[0]?.body).toContain('Running');
  });
});

describe('the status label', () => {
  const names = { queued: 'q', running: 'r', done: 'd', failed: 'f' };

  /** Label moves of a run going through `states`, one write per state, from an issue wearing `start`. */
  async function movesThrough(states: RunRecord['state'][], start: string | undefined) {
    const { octokit } = issueComments();
    const moves: string[] = [];
    Object.assign(octokit.rest.issues, {
      addLabels: ({ labels }: { labels: string[] }) => {
        moves.push(...labels.map((name) => `+${name}`));
        return Promise.resolve({ data: [] });
      },
      removeLabel: ({ name }: { name: string }) => {
        moves.push(`-${name}`);
        return Promise.resolve({ data: [] });
      },
    });
    let row: StatusRow = { ...empty, label: start };
    for (const state of states) {
      const written = await writeStatus(octokit, { ...run, state }, row, {
        labels: names,
        now: Date.now(),
        publicUrl: undefined,
      });
      row = { ...row, ...written };
    }
    return { moves, label: row.label };
  }

  it('is not worn for a run only queued on its way to a worker: running and done are', async () => {
    expect(await movesThrough(['queued', 'running', 'succeeded'], undefined)).toEqual({
      moves: ['+r', '-r', '+d'],
      label: 'd',
    });
  });

  it('is the queued label for a run that waits, kept while it is handed to a worker', async () => {
    expect(await movesThrough(['queued', 'waiting', 'queued', 'running', 'failed'], undefined)).toEqual({
      moves: ['+q', '-q', '+r', '-r', '+f'],
      label: 'f',
    });
  });

  it("drops an earlier run's outcome when a new run is queued, and a cancelled run wears none", async () => {
    expect(await movesThrough(['queued', 'cancelled'], 'd')).toEqual({ moves: ['-d', '+q', '-q'], label: undefined });
  });
});
