/**
 * GitHub-shaped JSON for the twin's state: the same objects GitHub puts in REST responses and
 * webhook payloads. Webhook payloads are validated against `@octokit/openapi-webhooks`, so a field
 * missing here shows up as a violation rather than as a surprise against the real GitHub.
 */
import type { TwinComment, TwinIssue, TwinLabel, TwinReaction, TwinRepo, TwinUser } from './state.ts';

export interface Urls {
  /** e.g. http://127.0.0.1:4010/api/v3 */
  api: string;
  /** e.g. http://127.0.0.1:4010 */
  web: string;
}

function nodeId(kind: string, id: number): string {
  return Buffer.from(`${kind}:${id}`).toString('base64');
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function userJson(user: TwinUser, urls: Urls) {
  const url = `${urls.api}/users/${encodeURIComponent(user.login)}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId('User', user.id),
    avatar_url: `${urls.web}/avatars/u/${user.id}`,
    gravatar_id: '',
    url,
    // A GitHub App's bot links to the app's page, not to a profile.
    html_url:
      user.type === 'Bot' ? `${urls.web}/apps/${user.login.replace(/\[bot\]$/, '')}` : `${urls.web}/${user.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: user.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** The address GitHub gives a user's web commits and pushes. */
export function noreplyEmail(user: { id: number; login: string }): string {
  return `${user.id}+${user.login}@users.noreply.twin.invalid`;
}

export function repoJson(repo: TwinRepo, urls: Urls) {
  const fullName = `${repo.owner.login}/${repo.name}`;
  const url = `${urls.api}/repos/${fullName}`;
  const openIssues = [...repo.issues.values()].filter((i) => i.state === 'open').length;
  const templated: Record<string, string> = {};
  for (const [key, suffix] of Object.entries(REPO_URL_TEMPLATES)) templated[key] = `${url}${suffix}`;
  return {
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: fullName,
    private: true,
    owner: userJson(repo.owner, urls),
    html_url: `${urls.web}/${fullName}`,
    description: repo.description,
    fork: false,
    url,
    ...templated,
    git_url: `${urls.web.replace(/^http/, 'git')}/${fullName}.git`,
    ssh_url: `git@twin.invalid:${fullName}.git`,
    clone_url: `${urls.web}/${fullName}.git`,
    svn_url: `${urls.web}/${fullName}`,
    mirror_url: null,
    homepage: null,
    language: null,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues: openIssues,
    open_issues_count: openIssues,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: false,
    has_discussions: false,
    archived: false,
    delete_branch_on_merge: repo.deleteBranchOnMerge,
    disabled: false,
    visibility: 'private',
    license: null,
    allow_forking: false,
    web_commit_signoff_required: false,
    pushed_at: iso(repo.pushedAt),
    created_at: iso(repo.createdAt),
    updated_at: iso(repo.createdAt),
  };
}

const REPO_URL_TEMPLATES: Record<string, string> = {
  archive_url: '/{archive_format}{/ref}',
  assignees_url: '/assignees{/user}',
  blobs_url: '/git/blobs{/sha}',
  branches_url: '/branches{/branch}',
  collaborators_url: '/collaborators{/collaborator}',
  comments_url: '/comments{/number}',
  commits_url: '/commits{/sha}',
  compare_url: '/compare/{base}...{head}',
  contents_url: '/contents/{+path}',
  contributors_url: '/contributors',
  deployments_url: '/deployments',
  downloads_url: '/downloads',
  events_url: '/events',
  forks_url: '/forks',
  git_commits_url: '/git/commits{/sha}',
  git_refs_url: '/git/refs{/sha}',
  git_tags_url: '/git/tags{/sha}',
  hooks_url: '/hooks',
  issue_comment_url: '/issues/comments{/number}',
  issue_events_url: '/issues/events{/number}',
  issues_url: '/issues{/number}',
  keys_url: '/keys{/key_id}',
  labels_url: '/labels{/name}',
  languages_url: '/languages',
  merges_url: '/merges',
  milestones_url: '/milestones{/number}',
  notifications_url: '/notifications{?since,all,participating}',
  pulls_url: '/pulls{/number}',
  releases_url: '/releases{/id}',
  stargazers_url: '/stargazers',
  statuses_url: '/statuses/{sha}',
  subscribers_url: '/subscribers',
  subscription_url: '/subscription',
  tags_url: '/tags',
  teams_url: '/teams',
  trees_url: '/git/trees{/sha}',
};

export function labelJson(repo: TwinRepo, label: TwinLabel, urls: Urls) {
  return {
    id: label.id,
    node_id: nodeId('Label', label.id),
    url: `${urls.api}/repos/${repo.owner.login}/${repo.name}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    color: label.color,
    default: false,
    description: label.description,
  };
}

function reactionsJson(url: string, reactions: TwinReaction[]) {
  const count = (content: string) => reactions.filter((r) => r.content === content).length;
  return {
    url: `${url}/reactions`,
    total_count: reactions.length,
    '+1': count('+1'),
    '-1': count('-1'),
    laugh: count('laugh'),
    confused: count('confused'),
    heart: count('heart'),
    hooray: count('hooray'),
    eyes: count('eyes'),
    rocket: count('rocket'),
  };
}

function authorAssociation(repo: TwinRepo, user: TwinUser): string {
  if (repo.owner.login === user.login) return 'OWNER';
  return repo.collaborators.has(user.login) ? 'COLLABORATOR' : 'NONE';
}

export function issueJson(repo: TwinRepo, issue: TwinIssue, urls: Urls) {
  const repoUrl = `${urls.api}/repos/${repo.owner.login}/${repo.name}`;
  const url = `${repoUrl}/issues/${issue.number}`;
  const kind = issue.pullRequest ? 'pull' : 'issues';
  return {
    url,
    repository_url: repoUrl,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${urls.web}/${repo.owner.login}/${repo.name}/${kind}/${issue.number}`,
    id: issue.id,
    node_id: nodeId('Issue', issue.id),
    number: issue.number,
    title: issue.title,
    user: userJson(issue.user, urls),
    labels: issue.labels
      .map((name) => repo.labels.get(name))
      .filter((label): label is TwinLabel => label !== undefined)
      .map((label) => labelJson(repo, label, urls)),
    state: issue.state,
    state_reason: issue.stateReason,
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: [...repo.comments.values()].filter((c) => c.issueNumber === issue.number).length,
    created_at: iso(issue.createdAt),
    updated_at: iso(issue.updatedAt),
    closed_at: iso(issue.closedAt),
    author_association: authorAssociation(repo, issue.user),
    active_lock_reason: null,
    body: issue.body,
    reactions: reactionsJson(url, issue.reactions),
    timeline_url: `${url}/timeline`,
    performed_via_github_app: null,
    ...(issue.pullRequest
      ? {}
      : {
          issue_dependencies_summary: {
            blocked_by: issue.blockedBy.filter((n) => repo.issues.get(n)?.state === 'open').length,
            blocking: 0,
            total_blocked_by: issue.blockedBy.length,
            total_blocking: 0,
          },
        }),
    ...(issue.pullRequest
      ? {
          pull_request: {
            url: `${repoUrl}/pulls/${issue.number}`,
            html_url: `${urls.web}/${repo.owner.login}/${repo.name}/pull/${issue.number}`,
            diff_url: `${urls.web}/${repo.owner.login}/${repo.name}/pull/${issue.number}.diff`,
            patch_url: `${urls.web}/${repo.owner.login}/${repo.name}/pull/${issue.number}.patch`,
            merged_at: iso(issue.pullRequest.mergedAt),
          },
        }
      : {}),
  };
}

export function commentJson(repo: TwinRepo, comment: TwinComment, urls: Urls) {
  const repoUrl = `${urls.api}/repos/${repo.owner.login}/${repo.name}`;
  const url = `${repoUrl}/issues/comments/${comment.id}`;
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url,
    html_url: `${urls.web}/${repo.owner.login}/${repo.name}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${repoUrl}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: userJson(comment.user, urls),
    created_at: iso(comment.createdAt),
    updated_at: iso(comment.updatedAt),
    author_association: authorAssociation(repo, comment.user),
    performed_via_github_app: null,
    reactions: reactionsJson(url, []),
  };
}

export function reactionJson(reaction: TwinReaction, urls: Urls) {
  return {
    id: reaction.id,
    node_id: nodeId('Reaction', reaction.id),
    user: userJson(reaction.user, urls),
    content: reaction.content,
    created_at: iso(reaction.createdAt),
  };
}

export interface BranchRef {
  name: string;
  sha: string;
}

export function pullJson(
  repo: TwinRepo,
  issue: TwinIssue,
  head: BranchRef,
  base: BranchRef,
  urls: Urls,
  reviewers: readonly TwinUser[] = [],
) {
  const pull = issue.pullRequest;
  if (!pull) throw new Error(`#${issue.number} is not a pull request`);
  const repoUrl = `${urls.api}/repos/${repo.owner.login}/${repo.name}`;
  const url = `${repoUrl}/pulls/${issue.number}`;
  const html = `${urls.web}/${repo.owner.login}/${repo.name}/pull/${issue.number}`;
  const repository = repoJson(repo, urls);
  const side = (ref: BranchRef) => ({
    label: `${repo.owner.login}:${ref.name}`,
    ref: ref.name,
    sha: ref.sha,
    user: userJson(repo.owner, urls),
    repo: repository,
  });
  const link = (href: string) => ({ href });
  return {
    url,
    id: pull.id,
    node_id: nodeId('PullRequest', pull.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${repoUrl}/issues/${issue.number}`,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${repoUrl}/pulls/comments{/number}`,
    comments_url: `${repoUrl}/issues/${issue.number}/comments`,
    statuses_url: `${repoUrl}/statuses/${head.sha}`,
    number: issue.number,
    state: issue.state,
    locked: false,
    title: issue.title,
    user: userJson(issue.user, urls),
    body: issue.body,
    labels: issue.labels
      .map((name) => repo.labels.get(name))
      .filter((label): label is TwinLabel => label !== undefined)
      .map((label) => labelJson(repo, label, urls)),
    milestone: null,
    active_lock_reason: null,
    created_at: iso(issue.createdAt),
    updated_at: iso(issue.updatedAt),
    closed_at: iso(issue.closedAt),
    merged_at: iso(pull.mergedAt),
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: reviewers.map((user) => userJson(user, urls)),
    requested_teams: [],
    head: side(head),
    base: side(base),
    _links: {
      self: link(url),
      html: link(html),
      issue: link(`${repoUrl}/issues/${issue.number}`),
      comments: link(`${repoUrl}/issues/${issue.number}/comments`),
      review_comments: link(`${url}/comments`),
      review_comment: link(`${repoUrl}/pulls/comments{/number}`),
      commits: link(`${url}/commits`),
      statuses: link(`${repoUrl}/statuses/${head.sha}`),
    },
    author_association: authorAssociation(repo, issue.user),
    auto_merge: null,
    draft: pull.draft,
    merged: pull.merged,
    mergeable: issue.state === 'open' ? true : null,
    rebaseable: null,
    mergeable_state: 'clean',
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}
