/** Issue endpoints: issues, labels, comments and reactions, each announcing its change by webhook. */
import { TwinError, checkBodyLength, paginate, type Handler, type HandlerInput, type TwinCore } from '../core.ts';
import { commentJson, issueJson, labelJson, reactionJson, userJson } from '../payloads.ts';
import type { TwinIssue, TwinLabel, TwinRepo } from '../state.ts';

function ensureLabel(core: TwinCore, repo: TwinRepo, name: string): TwinLabel {
  let label = repo.labels.get(name);
  if (!label) {
    // Adding an unknown label to an issue creates it, as on GitHub.
    label = { id: core.state.nextId(), name, color: 'ededed', description: null };
    repo.labels.set(name, label);
  }
  return label;
}

function labelNames(body: Record<string, unknown>): string[] {
  const labels = body.labels;
  if (!Array.isArray(labels)) return [];
  return labels.map((l: unknown) => (typeof l === 'string' ? l : String((l as { name?: unknown }).name)));
}

function addLabels(core: TwinCore, repo: TwinRepo, issue: TwinIssue, names: string[], input: HandlerInput): void {
  for (const name of names) {
    const label = ensureLabel(core, repo, name);
    if (issue.labels.includes(name)) continue;
    issue.labels.push(name);
    issue.updatedAt = new Date();
    const event = issue.pullRequest ? 'pull_request' : 'issues';
    if (event === 'issues')
      core.emitIssue('issues', 'labeled', repo, issue, input, { label: labelJson(repo, label, core.urls) });
  }
}

export function closeIssue(
  core: TwinCore,
  repo: TwinRepo,
  issue: TwinIssue,
  input: HandlerInput,
  reason: 'completed' | 'not_planned' = 'completed',
): void {
  if (issue.state === 'closed') return;
  issue.state = 'closed';
  issue.stateReason = reason;
  issue.closedAt = new Date();
  issue.updatedAt = issue.closedAt;
  if (!issue.pullRequest) core.emitIssue('issues', 'closed', repo, issue, input);
}

export const issueHandlers: Record<string, Handler> = {
  'issues/create': (core, input) => {
    const repo = core.repoFor(input, 'read', 'issues');
    checkBodyLength(input.body.body);
    const issue = core.openIssue(repo, input);
    core.emitIssue('issues', 'opened', repo, issue, input);
    addLabels(core, repo, issue, labelNames(input.body), input);
    return { status: 201, body: issueJson(repo, issue, core.urls) };
  },

  'issues/get': (core, input) => {
    const repo = core.repoFor(input);
    return { status: 200, body: issueJson(repo, core.issueFor(repo, input), core.urls) };
  },

  'issues/list-for-repo': (core, input) => {
    const repo = core.repoFor(input);
    const state = input.query.get('state') ?? 'open';
    const items = [...repo.issues.values()]
      .filter((i) => state === 'all' || i.state === state)
      .sort((a, b) => b.number - a.number)
      .map((i) => issueJson(repo, i, core.urls));
    return paginate(items, input.query, `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/issues`);
  },

  'issues/update': (core, input) => {
    const repo = core.repoFor(input, 'triage', 'issues');
    const issue = core.issueFor(repo, input);
    checkBodyLength(input.body.body);
    const changes: Record<string, { from: string }> = {};
    if (typeof input.body.title === 'string' && input.body.title !== issue.title) changes.title = { from: issue.title };
    if (typeof input.body.body === 'string' && input.body.body !== issue.body)
      changes.body = { from: issue.body ?? '' };
    if (typeof input.body.title === 'string') issue.title = input.body.title;
    if (typeof input.body.body === 'string') issue.body = input.body.body;
    // As GitHub does: an edit of the title or body is an `issues.edited` event with what it was before.
    if (Object.keys(changes).length > 0) core.emitIssue('issues', 'edited', repo, issue, input, { changes });
    if (input.body.state === 'closed') {
      const reason = input.body.state_reason === 'not_planned' ? 'not_planned' : 'completed';
      closeIssue(core, repo, issue, input, reason);
    } else if (input.body.state === 'open' && issue.state === 'closed') {
      issue.state = 'open';
      issue.stateReason = 'reopened';
      issue.closedAt = null;
      core.emitIssue('issues', 'reopened', repo, issue, input);
    }
    issue.updatedAt = new Date();
    return { status: 200, body: issueJson(repo, issue, core.urls) };
  },

  'issues/add-labels': (core, input) => {
    const repo = core.repoFor(input, 'triage', 'issues');
    const issue = core.issueFor(repo, input);
    addLabels(core, repo, issue, labelNames(input.body), input);
    const labels = issue.labels.map((name) => labelJson(repo, ensureLabel(core, repo, name), core.urls));
    return { status: 200, body: labels };
  },

  'issues/remove-label': (core, input) => {
    const repo = core.repoFor(input, 'triage', 'issues');
    const issue = core.issueFor(repo, input);
    const name = input.params.name ?? '';
    const label = repo.labels.get(name);
    if (!label || !issue.labels.includes(name)) throw new TwinError(404, 'Label does not exist');
    issue.labels = issue.labels.filter((l) => l !== name);
    issue.updatedAt = new Date();
    if (!issue.pullRequest)
      core.emitIssue('issues', 'unlabeled', repo, issue, input, { label: labelJson(repo, label, core.urls) });
    return { status: 200, body: issue.labels.map((n) => labelJson(repo, ensureLabel(core, repo, n), core.urls)) };
  },

  'issues/create-label': (core, input) => {
    const repo = core.repoFor(input, 'write', 'issues');
    const name = String(input.body.name);
    if (repo.labels.has(name)) {
      throw new TwinError(422, 'Validation Failed', [{ resource: 'Label', code: 'already_exists', field: 'name' }]);
    }
    const label: TwinLabel = {
      id: core.state.nextId(),
      name,
      color: typeof input.body.color === 'string' ? input.body.color.replace(/^#/, '') : 'ededed',
      description: typeof input.body.description === 'string' ? input.body.description : null,
    };
    repo.labels.set(name, label);
    return { status: 201, body: labelJson(repo, label, core.urls) };
  },

  'issues/get-label': (core, input) => {
    const repo = core.repoFor(input);
    const label = repo.labels.get(input.params.name ?? '');
    if (!label) throw new TwinError(404, 'Not Found');
    return { status: 200, body: labelJson(repo, label, core.urls) };
  },

  'issues/list-labels-for-repo': (core, input) => {
    const repo = core.repoFor(input);
    const items = [...repo.labels.values()].map((l) => labelJson(repo, l, core.urls));
    return paginate(items, input.query, `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/labels`);
  },

  'issues/create-comment': (core, input) => {
    const repo = core.repoFor(input, 'read', 'issues');
    const issue = core.issueFor(repo, input);
    checkBodyLength(input.body.body);
    const now = new Date();
    const comment = {
      id: core.state.nextId(),
      issueNumber: issue.number,
      body: String(input.body.body),
      user: core.actingUser(input),
      createdAt: now,
      updatedAt: now,
    };
    repo.comments.set(comment.id, comment);
    core.webhooks.send('issue_comment', {
      action: 'created',
      issue: issueJson(repo, issue, core.urls),
      comment: commentJson(repo, comment, core.urls),
      ...core.envelope(repo, input),
    });
    return { status: 201, body: commentJson(repo, comment, core.urls) };
  },

  'issues/list-comments': (core, input) => {
    const repo = core.repoFor(input);
    const issue = core.issueFor(repo, input);
    const items = [...repo.comments.values()]
      .filter((c) => c.issueNumber === issue.number)
      .sort((a, b) => a.id - b.id)
      .map((c) => commentJson(repo, c, core.urls));
    return paginate(
      items,
      input.query,
      `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/issues/${issue.number}/comments`,
    );
  },

  'issues/get-comment': (core, input) => {
    const repo = core.repoFor(input);
    const comment = repo.comments.get(Number(input.params.comment_id));
    if (!comment) throw new TwinError(404, 'Not Found');
    return { status: 200, body: commentJson(repo, comment, core.urls) };
  },

  'issues/update-comment': (core, input) => {
    const repo = core.repoFor(input, 'read', 'issues');
    const comment = repo.comments.get(Number(input.params.comment_id));
    if (!comment) throw new TwinError(404, 'Not Found');
    const user = core.actingUser(input);
    if (
      comment.user.login !== user.login &&
      core.state.permissionOf(repo, user.login) !== 'admin' &&
      input.actor?.kind !== 'installation'
    ) {
      throw new TwinError(403, 'You cannot edit this comment');
    }
    checkBodyLength(input.body.body);
    const before = comment.body;
    comment.body = String(input.body.body);
    comment.updatedAt = new Date();
    const issue = repo.issues.get(comment.issueNumber);
    if (issue) {
      core.webhooks.send('issue_comment', {
        action: 'edited',
        changes: { body: { from: before } },
        issue: issueJson(repo, issue, core.urls),
        comment: commentJson(repo, comment, core.urls),
        ...core.envelope(repo, input),
      });
    }
    return { status: 200, body: commentJson(repo, comment, core.urls) };
  },

  'reactions/create-for-issue': (core, input) => {
    const repo = core.repoFor(input, 'read', 'issues');
    const issue = core.issueFor(repo, input);
    const user = core.actingUser(input);
    const content = String(input.body.content);
    const existing = issue.reactions.find((r) => r.user.login === user.login && r.content === content);
    if (existing) return { status: 200, body: reactionJson(existing, core.urls) };
    const reaction = { id: core.state.nextId(), content, user, createdAt: new Date() };
    issue.reactions.push(reaction);
    return { status: 201, body: reactionJson(reaction, core.urls) };
  },

  'reactions/create-for-issue-comment': (core, input) => {
    const repo = core.repoFor(input, 'read', 'issues');
    const comment = repo.comments.get(Number(input.params.comment_id));
    if (!comment) throw new TwinError(404, 'Not Found');
    const user = core.actingUser(input);
    const content = String(input.body.content);
    comment.reactions ??= [];
    const existing = comment.reactions.find((r) => r.user.login === user.login && r.content === content);
    if (existing) return { status: 200, body: reactionJson(existing, core.urls) };
    const reaction = { id: core.state.nextId(), content, user, createdAt: new Date() };
    comment.reactions.push(reaction);
    return { status: 201, body: reactionJson(reaction, core.urls) };
  },

  'reactions/list-for-issue-comment': (core, input) => {
    const repo = core.repoFor(input);
    const comment = repo.comments.get(Number(input.params.comment_id));
    if (!comment) throw new TwinError(404, 'Not Found');
    const items = (comment.reactions ?? []).map((r) => reactionJson(r, core.urls));
    return paginate(
      items,
      input.query,
      `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/issues/comments/${comment.id}/reactions`,
    );
  },

  'reactions/list-for-issue': (core, input) => {
    const repo = core.repoFor(input);
    const issue = core.issueFor(repo, input);
    const content = input.query.get('content');
    const items = issue.reactions
      .filter((r) => !content || r.content === content)
      .map((r) => reactionJson(r, core.urls));
    return paginate(
      items,
      input.query,
      `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/issues/${issue.number}/reactions`,
    );
  },

  'issues/list-dependencies-blocked-by': (core, input) => {
    const repo = core.repoFor(input);
    const issue = core.issueFor(repo, input);
    const items = issue.blockedBy
      .map((number) => repo.issues.get(number))
      .filter((i): i is TwinIssue => i !== undefined)
      .map((i) => issueJson(repo, i, core.urls));
    return paginate(
      items,
      input.query,
      `${core.urls.api}/repos/${repo.owner.login}/${repo.name}/issues/${issue.number}/dependencies/blocked_by`,
    );
  },

  'issues/add-blocked-by-dependency': (core, input) => {
    const repo = core.repoFor(input, 'triage', 'issues');
    const issue = core.issueFor(repo, input);
    const blocker = [...repo.issues.values()].find((i) => i.id === Number(input.body.issue_id));
    if (!blocker) throw new TwinError(404, 'Not Found');
    if (!issue.blockedBy.includes(blocker.number)) issue.blockedBy.push(blocker.number);
    return { status: 201, body: issueJson(repo, blocker, core.urls) };
  },

  'users/get-by-username': (core, input) => {
    const user = core.state.users.get(input.params.username ?? '');
    if (!user) throw new TwinError(404, 'Not Found');
    return { status: 200, body: userJson(user, core.urls) };
  },
};
