/** Pull request endpoints, backed by the branches of the twin's bare repositories. */
import { TwinError, checkBodyLength, paginate, type Handler, type HandlerInput, type TwinCore } from '../core.ts';
import { pullJson } from '../payloads.ts';
import type { TwinIssue, TwinPull, TwinRepo, TwinReviewComment } from '../state.ts';
import { noreplyEmail, userJson } from '../payloads.ts';
import { branchesMoved, retarget } from '../branches.ts';
import { closeIssue } from './issues.ts';
import { ciOf } from '../checks.ts';

export async function renderPull(core: TwinCore, repo: TwinRepo, issue: TwinIssue): Promise<Record<string, unknown>> {
  const pull = issue.pullRequest;
  if (!pull) throw new TwinError(404, 'Not Found');
  const headSha = (await core.git.branchSha(repo.owner.login, repo.name, pull.head)) ?? pull.mergeCommitSha ?? '';
  const baseSha = (await core.git.branchSha(repo.owner.login, repo.name, pull.base)) ?? '';
  const reviewers = pull.requestedReviewers
    .map((login) => core.state.users.get(login))
    .filter((user) => user !== undefined);
  const json = pullJson(
    repo,
    issue,
    { name: pull.head, sha: headSha },
    { name: pull.base, sha: baseSha },
    core.urls,
    reviewers,
  );
  if (headSha && baseSha && !pull.merged) {
    const stat = await core.git.diffStat(repo.owner.login, repo.name, baseSha, headSha);
    Object.assign(json, { additions: stat.additions, deletions: stat.deletions, changed_files: stat.files });
  }
  if (issue.state === 'open' && headSha && baseSha)
    Object.assign(json, mergeabilityOf(core, repo, pull, baseSha, headSha));
  return json;
}

/**
 * \`mergeable\` and \`mergeable_state\` as GitHub computes them: lazily. The first read after the base
 * or the head moved starts a background check and answers \`null\` / \`unknown\`; later reads answer
 * what it found: \`dirty\` (conflicts), \`behind\` (clean, but the base moved on), \`unstable\`
 * (mergeable, with a check that fails or still runs on the head) or \`clean\`.
 */
function mergeabilityOf(core: TwinCore, repo: TwinRepo, pull: TwinPull, baseSha: string, headSha: string) {
  const key = `${baseSha}..${headSha}`;
  if (pull.mergeability?.key !== key) {
    const check: NonNullable<TwinPull['mergeability']> = { key };
    pull.mergeability = check;
    core.background(
      core.git.mergeability(repo.owner.login, repo.name, baseSha, headSha).then((result) => (check.result = result)),
    );
  }
  const result = pull.mergeability.result;
  if (!result) return { mergeable: null, mergeable_state: 'unknown' };
  if (!result.clean) return { mergeable: false, mergeable_state: 'dirty' };
  if (result.behind) return { mergeable: true, mergeable_state: 'behind' };
  // No check is required (the twin has no branch protection): a failing or running one leaves it mergeable, "unstable".
  return { mergeable: true, mergeable_state: ciOf(repo, headSha) === 'passing' ? 'clean' : 'unstable' };
}

function pullFor(core: TwinCore, repo: TwinRepo, input: HandlerInput): TwinIssue {
  const issue = core.issueFor(repo, input, 'pull_number');
  if (!issue.pullRequest) throw new TwinError(404, 'Not Found');
  return issue;
}

/** `owner:branch` or `branch`, as the `head` filter and field accept it. */
function branchOf(head: string): string {
  const colon = head.indexOf(':');
  return colon === -1 ? head : head.slice(colon + 1);
}

const CLOSING_KEYWORDS = /\b(?:close|closes|closed|fix|fixes|fixed|resolve|resolves|resolved)\s*:?\s+#(\d+)\b/gi;

function reviewCommentJson(core: TwinCore, repo: TwinRepo, pull: TwinIssue, comment: TwinReviewComment) {
  const repoUrl = `${core.urls.api}/repos/${repo.owner.login}/${repo.name}`;
  const html = `${core.urls.web}/${repo.owner.login}/${repo.name}/pull/${pull.number}#discussion_r${comment.id}`;
  return {
    url: `${repoUrl}/pulls/comments/${comment.id}`,
    pull_request_review_id: null,
    id: comment.id,
    node_id: Buffer.from(`PullRequestReviewComment:${comment.id}`).toString('base64'),
    diff_hunk: '@@ -1 +1 @@',
    path: comment.path,
    line: comment.line,
    side: 'RIGHT',
    commit_id: comment.commitId,
    original_commit_id: comment.commitId,
    user: userJson(comment.user, core.urls),
    body: comment.body,
    created_at: comment.createdAt.toISOString(),
    updated_at: comment.createdAt.toISOString(),
    html_url: html,
    pull_request_url: `${repoUrl}/pulls/${pull.number}`,
    author_association: 'NONE',
    _links: {
      self: { href: `${repoUrl}/pulls/comments/${comment.id}` },
      html: { href: html },
      pull_request: { href: `${repoUrl}/pulls/${pull.number}` },
    },
  };
}

export const pullHandlers: Record<string, Handler> = {
  // A review comment on a line of the pull request's diff (single comments, not a review).
  'pulls/create-review-comment': (core, input) => {
    const repo = core.repoFor(input, 'read', 'pull_requests');
    const pull = pullFor(core, repo, input);
    checkBodyLength(input.body.body);
    const comment: TwinReviewComment = {
      id: core.state.nextId(),
      user: core.actingUser(input),
      body: String(input.body.body),
      path: String(input.body.path),
      line: Number(input.body.line ?? 1),
      commitId: String(input.body.commit_id),
      createdAt: new Date(),
    };
    (pull.pullRequest!.reviewComments ??= []).push(comment);
    return { status: 201, body: reviewCommentJson(core, repo, pull, comment) };
  },

  'pulls/list-review-comments': (core, input) => {
    const repo = core.repoFor(input);
    const pull = pullFor(core, repo, input);
    return paginate(
      (pull.pullRequest?.reviewComments ?? []).map((c) => reviewCommentJson(core, repo, pull, c)),
      input.query,
      `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/pulls/${pull.number}/comments`,
    );
  },

  'pulls/create': async (core, input) => {
    const repo = core.repoFor(input, 'write', 'pull_requests');
    checkBodyLength(input.body.body);
    const head = branchOf(String(input.body.head));
    const base = String(input.body.base);
    const owner = repo.owner.login;
    if (!(await core.git.branchSha(owner, repo.name, head)) || !(await core.git.branchSha(owner, repo.name, base))) {
      throw new TwinError(422, 'Validation Failed', [{ resource: 'PullRequest', code: 'invalid', field: 'head' }]);
    }
    const duplicate = [...repo.issues.values()].find(
      (i) => i.state === 'open' && i.pullRequest?.head === head && i.pullRequest.base === base,
    );
    if (duplicate) {
      throw new TwinError(422, 'Validation Failed', [
        { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${head}.` },
      ]);
    }
    const issue = core.openIssue(repo, input, {
      head,
      base,
      draft: input.body.draft === true,
      requestedReviewers: [],
      merged: false,
      mergedAt: null,
      mergeCommitSha: null,
    });
    const json = await renderPull(core, repo, issue);
    core.webhooks.send('pull_request', {
      action: 'opened',
      number: issue.number,
      pull_request: json,
      ...core.envelope(repo, input),
    });
    return { status: 201, body: json };
  },

  'pulls/list': async (core, input) => {
    const repo = core.repoFor(input);
    const state = input.query.get('state') ?? 'open';
    const head = input.query.get('head');
    const base = input.query.get('base');
    const issues = [...repo.issues.values()].filter(
      (i) =>
        i.pullRequest &&
        (state === 'all' || i.state === state) &&
        (!head || i.pullRequest.head === branchOf(head)) &&
        (!base || i.pullRequest.base === base),
    );
    const items = await Promise.all(issues.sort((a, b) => b.number - a.number).map((i) => renderPull(core, repo, i)));
    return paginate(items, input.query, `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/pulls`);
  },

  'pulls/get': async (core, input) => {
    const repo = core.repoFor(input);
    return { status: 200, body: await renderPull(core, repo, pullFor(core, repo, input)) };
  },

  'pulls/update': async (core, input) => {
    const repo = core.repoFor(input, 'write', 'pull_requests');
    const issue = pullFor(core, repo, input);
    checkBodyLength(input.body.body);
    if (typeof input.body.title === 'string') issue.title = input.body.title;
    if (typeof input.body.body === 'string') issue.body = input.body.body;
    let baseChange: { ref: { from: string }; sha: { from: string } } | undefined;
    if (typeof input.body.base === 'string' && issue.pullRequest && input.body.base !== issue.pullRequest.base) {
      const from = issue.pullRequest.base;
      const sha = (await core.git.branchSha(repo.owner.login, repo.name, from)) ?? '';
      if (!(await core.git.branchSha(repo.owner.login, repo.name, input.body.base))) {
        throw new TwinError(422, 'Validation Failed', [
          {
            resource: 'PullRequest',
            field: 'base',
            code: 'invalid',
            message: `Proposed base branch '${input.body.base}' was not found`,
          },
        ]);
      }
      issue.pullRequest.base = input.body.base;
      baseChange = { ref: { from }, sha: { from: sha } };
    }
    let action = 'edited';
    if (input.body.state === 'closed' && issue.state === 'open') {
      closeIssue(core, repo, issue, input);
      action = 'closed';
    } else if (input.body.state === 'open' && issue.state === 'closed' && !issue.pullRequest?.merged) {
      issue.state = 'open';
      issue.closedAt = null;
      action = 'reopened';
    }
    issue.updatedAt = new Date();
    const json = await renderPull(core, repo, issue);
    core.webhooks.send('pull_request', {
      action,
      number: issue.number,
      pull_request: json,
      ...(action === 'edited' ? { changes: baseChange ? { base: baseChange } : {} } : {}),
      ...core.envelope(repo, input),
    });
    return { status: 200, body: json };
  },

  'pulls/request-reviewers': async (core, input) => {
    const repo = core.repoFor(input, 'write', 'pull_requests');
    const issue = pullFor(core, repo, input);
    const reviewers = Array.isArray(input.body.reviewers) ? input.body.reviewers.map(String) : [];
    for (const login of reviewers) {
      // GitHub refuses reviewers who cannot read the repository, and the pull request's author.
      if (core.state.permissionOf(repo, login) === 'none' || login === issue.user.login) {
        throw new TwinError(
          422,
          'Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the repository.',
        );
      }
    }
    const pull = issue.pullRequest;
    if (pull)
      for (const login of reviewers) if (!pull.requestedReviewers.includes(login)) pull.requestedReviewers.push(login);
    return { status: 201, body: await renderPull(core, repo, issue) };
  },

  'pulls/merge': async (core, input) => {
    const repo = core.repoFor(input, 'write', 'contents');
    const issue = pullFor(core, repo, input);
    const pull = issue.pullRequest;
    if (!pull || issue.state !== 'open') throw new TwinError(405, 'Pull Request is not mergeable');
    const user = core.actingUser(input);
    const method = typeof input.body.merge_method === 'string' ? input.body.merge_method : 'merge';
    const title =
      typeof input.body.commit_title === 'string'
        ? input.body.commit_title
        : `Merge pull request #${issue.number} from ${repo.owner.login}/${pull.head}`;
    const baseBefore = (await core.git.branchSha(repo.owner.login, repo.name, pull.base)) ?? null;
    const sha = await core.git.merge(repo.owner.login, repo.name, {
      base: pull.base,
      head: pull.head,
      message:
        method === 'squash' ? `${issue.title} (#${issue.number})\n\n${issue.body ?? ''}` : `${title}\n\n${issue.title}`,
      squash: method !== 'merge',
      author: { name: user.login, email: noreplyEmail(user) },
    });
    if (!sha) throw new TwinError(405, 'Merge conflict');
    pull.merged = true;
    pull.mergedAt = new Date();
    pull.mergeCommitSha = sha;
    closeIssue(core, repo, issue, input);
    core.webhooks.send('pull_request', {
      action: 'closed',
      number: issue.number,
      pull_request: await renderPull(core, repo, issue),
      ...core.envelope(repo, input),
    });
    await branchesMoved(core, repo, [{ branch: pull.base, before: baseBefore, after: sha }], user, renderPull);
    if (repo.deleteBranchOnMerge && pull.head !== repo.defaultBranch) {
      // As GitHub does: the pull requests based on the merged head move to its base first.
      await retarget(core, repo, pull.head, pull.base, user, renderPull);
      const headBefore = await core.git.branchSha(repo.owner.login, repo.name, pull.head);
      await core.git.deleteBranch(repo.owner.login, repo.name, pull.head);
      await branchesMoved(
        core,
        repo,
        [{ branch: pull.head, before: headBefore ?? null, after: null }],
        user,
        renderPull,
      );
    }
    if (pull.base === repo.defaultBranch) {
      for (const match of (issue.body ?? '').matchAll(CLOSING_KEYWORDS)) {
        const closed = repo.issues.get(Number(match[1]));
        if (closed && !closed.pullRequest) closeIssue(core, repo, closed, input);
      }
    }
    return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
  },

  /**
   * "Update branch": merges the base into the head (a merge commit), as the button does; 422 when
   * `expected_head_sha` is not the head, or the head is not behind.
   */
  'pulls/update-branch': async (core, input) => {
    const repo = core.repoFor(input, 'write', 'contents');
    const issue = pullFor(core, repo, input);
    const pull = issue.pullRequest;
    if (!pull || issue.state !== 'open') throw new TwinError(422, 'Pull request is closed');
    const user = core.actingUser(input);
    const headSha = await core.git.branchSha(repo.owner.login, repo.name, pull.head);
    const baseSha = await core.git.branchSha(repo.owner.login, repo.name, pull.base);
    if (!headSha || !baseSha) throw new TwinError(422, 'Head or base branch is missing');
    const expected = input.body.expected_head_sha;
    if (typeof expected === 'string' && expected !== headSha) {
      throw new TwinError(422, 'expected head sha didn’t match current head ref.');
    }
    if (await core.git.isAncestor(repo.owner.login, repo.name, baseSha, headSha)) {
      throw new TwinError(422, 'There are no new commits on the base branch.');
    }
    const sha = await core.git.merge(repo.owner.login, repo.name, {
      base: pull.head,
      head: pull.base,
      message: `Merge branch '${pull.base}' into ${pull.head}`,
      squash: false,
      author: { name: user.login, email: noreplyEmail(user) },
    });
    if (!sha) throw new TwinError(422, 'merge conflict between base and head');
    await branchesMoved(core, repo, [{ branch: pull.head, before: headSha, after: sha }], user, renderPull);
    const url = `${core.urls.web}/${repo.owner.login}/${repo.name}/pull/${issue.number}`;
    return { status: 202, body: { message: 'Updating pull request branch.', url } };
  },
};
