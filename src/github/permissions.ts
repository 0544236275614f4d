/** Who may trigger: people with write, maintain or admin access to the repository. */
import type { RepoRef } from '../domain/run.ts';
import { repoParams, statusOf, type GitHubClient } from './client.ts';

export type PermissionDecision = { allowed: true } | { allowed: false; permission: string };

const TRIGGERING_ROLES = new Set(['admin', 'maintain', 'write']);

/**
 * Decides from GitHub's collaborator permission. `permission` folds maintain into write and
 * triage into read; `role_name` keeps custom and fine-grained roles, which count only when the
 * folded permission is write or admin.
 */
export function decidePermission(permission: string, roleName?: string): PermissionDecision {
  if (TRIGGERING_ROLES.has(permission)) return { allowed: true };
  return { allowed: false, permission: roleName && roleName !== permission ? roleName : permission };
}

export async function fetchPermission(
  octokit: GitHubClient,
  repo: RepoRef,
  username: string,
): Promise<PermissionDecision> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repoParams(repo), username });
    return decidePermission(data.permission, data.role_name);
  } catch (error) {
    // GitHub answers 404 for someone who is not a collaborator at all.
    if (statusOf(error) === 404) return { allowed: false, permission: 'none' };
    throw error;
  }
}

/** How long a person's write access, once seen, is taken as given for their next labels. */
export const PERMISSION_REMEMBERED_MS = 60_000;
const remembered = new Map<string, number>();

/**
 * `fetchPermission` for a trigger, remembering briefly who may trigger: a batch labelled by one
 * maintainer asks GitHub once, not once per issue. Only a permission that allows is remembered,
 * so access a person is given counts at once; access taken away counts within a minute.
 */
export async function triggerPermission(
  octokit: GitHubClient,
  repo: RepoRef,
  username: string,
  now = Date.now(),
): Promise<PermissionDecision> {
  const key = `${repo.fullName}\u0000${username}`;
  if ((remembered.get(key) ?? 0) > now) return { allowed: true };
  const decision = await fetchPermission(octokit, repo, username);
  if (decision.allowed) {
    remembered.set(key, now + PERMISSION_REMEMBERED_MS);
    if (remembered.size > 10_000) remembered.delete(remembered.keys().next().value ?? '');
  } else remembered.delete(key);
  return decision;
}

/** What `username` may do in a repository named `owner/name`, as GitHub tells the installation. */
export async function accessTo(
  octokit: GitHubClient,
  fullName: string,
  username: string,
): Promise<{ read: boolean; write: boolean }> {
  const [owner = '', repo = ''] = fullName.split('/');
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
    return { read: data.permission !== 'none', write: decidePermission(data.permission, data.role_name).allowed };
  } catch (error) {
    if (statusOf(error) === 404) return { read: false, write: false };
    throw error;
  }
}
