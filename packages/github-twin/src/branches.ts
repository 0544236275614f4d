/**
 * What follows when branches move, as on GitHub: a `push` event for every branch update (git
 * pushes, merges, branch updates, deletions), `pull_request.synchronize` for the pull requests
 * whose head moved, and the pull requests whose head or base branch was deleted are closed
 * (GitHub retargets dependents only when it deletes a merged head branch itself: `retarget`).
 */
import type { TwinCore } from './core.ts';
import type { PushedCommit } from './git.ts';
import { noreplyEmail } from './payloads.ts';
import type { TwinIssue, TwinRepo, TwinUser } from './state.ts';

/** A branch that moved: `before` null when it was created, `after` null when it was deleted. */
export interface BranchMove {
  branch: string;
  before: string | null;
  after: string | null;
}

const ZERO = '0000000000000000000000000000000000000000';

/** Renders a pull request as its webhook payload carries it (set by the pull request handlers). */
export type PullRenderer = (core: TwinCore, repo: TwinRepo, issue: TwinIssue) => Promise<Record<string, unknown>>;

/** The branches' commits before `change`, to compare after it. */
export async function branchesMovedBy(
  core: TwinCore,
  repo: TwinRepo,
  change: () => Promise<void>,
): Promise<BranchMove[]> {
  const before = await core.git.branches(repo.owner.login, repo.name);
  await change();
  const after = await core.git.branches(repo.owner.login, repo.name);
  const moves: BranchMove[] = [];
  for (const branch of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(branch) ?? null;
    const now = after.get(branch) ?? null;
    if (was !== now) moves.push({ branch, before: was, after: now });
  }
  return moves;
}

/** Sends what GitHub sends for `moves` made by `sender`, and closes what a deleted branch leaves. */
export async function branchesMoved(
  core: TwinCore,
  repo: TwinRepo,
  moves: readonly BranchMove[],
  sender: TwinUser,
  render: PullRenderer,
): Promise<void> {
  const envelope = () => core.envelopeFor(repo, sender);
  for (const move of moves) {
    // The payload takes git work (commits, a force check): made only for an app that listens.
    if (core.webhooks.wants('push')) {
      core.webhooks.send('push', { ...(await pushPayload(core, repo, move, sender)), ...envelope() });
    }
    const open = [...repo.issues.values()].filter((issue) => issue.pullRequest && issue.state === 'open');
    for (const issue of open) {
      const pull = issue.pullRequest;
      if (!pull) continue;
      if (move.after === null && (pull.head === move.branch || pull.base === move.branch)) {
        issue.state = 'closed';
        issue.stateReason = 'completed';
        issue.closedAt = new Date();
        issue.updatedAt = issue.closedAt;
        const payload = { action: 'closed', number: issue.number, pull_request: await render(core, repo, issue) };
        core.webhooks.send('pull_request', { ...payload, ...envelope() });
      } else if (move.before !== null && move.after !== null && pull.head === move.branch) {
        issue.updatedAt = new Date();
        const pullRequest = await render(core, repo, issue);
        const payload = { action: 'synchronize', number: issue.number, before: move.before, after: move.after };
        core.webhooks.send('pull_request', { ...payload, pull_request: pullRequest, ...envelope() });
      }
    }
  }
}

/**
 * The open pull requests based on `from` now target `to`, each with a `pull_request.edited` event
 * that says so: what GitHub does before it deletes the head branch of a merged pull request.
 */
export async function retarget(
  core: TwinCore,
  repo: TwinRepo,
  from: string,
  to: string,
  sender: TwinUser,
  render: PullRenderer,
): Promise<void> {
  const fromSha = (await core.git.branchSha(repo.owner.login, repo.name, from)) ?? ZERO;
  for (const issue of repo.issues.values()) {
    const pull = issue.pullRequest;
    if (!pull || issue.state !== 'open' || pull.base !== from) continue;
    pull.base = to;
    issue.updatedAt = new Date();
    const payload = {
      action: 'edited',
      number: issue.number,
      changes: { base: { ref: { from }, sha: { from: fromSha } } },
      pull_request: await render(core, repo, issue),
    };
    core.webhooks.send('pull_request', { ...payload, ...core.envelopeFor(repo, sender) });
  }
}

async function pushPayload(core: TwinCore, repo: TwinRepo, move: BranchMove, sender: TwinUser) {
  const { login } = repo.owner;
  const web = `${core.urls.web}/${login}/${repo.name}`;
  const forced =
    move.before !== null &&
    move.after !== null &&
    !(await core.git.isAncestor(login, repo.name, move.before, move.after));
  const commits = move.after ? await core.git.commitsBetween(login, repo.name, move.before, move.after) : [];
  const commitJson = (commit: PushedCommit) => ({
    id: commit.id,
    tree_id: commit.tree,
    distinct: true,
    message: commit.message,
    timestamp: commit.committer.date,
    url: `${web}/commit/${commit.id}`,
    author: { name: commit.author.name, email: commit.author.email, date: commit.author.date },
    committer: { name: commit.committer.name, email: commit.committer.email, date: commit.committer.date },
    added: [],
    removed: [],
    modified: [],
  });
  const before = move.before ?? ZERO;
  const after = move.after ?? ZERO;
  return {
    ref: `refs/heads/${move.branch}`,
    before,
    after,
    created: move.before === null,
    deleted: move.after === null,
    forced,
    base_ref: null,
    compare: `${web}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: commits.map(commitJson),
    head_commit: commits.length > 0 ? commitJson(commits[commits.length - 1] as PushedCommit) : null,
    pusher: { name: sender.login, email: noreplyEmail(sender) },
  };
}
