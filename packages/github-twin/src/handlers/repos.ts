/** Repository endpoints: creation, metadata and collaborator permissions. */
import { TwinError, type Handler } from '../core.ts';
import { repoJson, userJson } from '../payloads.ts';
import type { Permission } from '../state.ts';
import { branchesMoved } from '../branches.ts';
import { renderPull } from './pulls.ts';

const PERMISSION_BY_REQUEST: Record<string, Permission> = {
  pull: 'read',
  triage: 'triage',
  push: 'write',
  maintain: 'maintain',
  admin: 'admin',
};

export const repoHandlers: Record<string, Handler> = {
  'repos/create-for-authenticated-user': async (core, input) => {
    const owner = core.actingUser(input);
    if (input.actor?.kind !== 'user') throw new TwinError(403, 'Resource not accessible by integration');
    const name = String(input.body.name);
    if (core.state.repo(owner.login, name)) {
      throw new TwinError(422, 'Repository creation failed.', [
        { resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' },
      ]);
    }
    const repo = core.state.addRepo(owner, name);
    repo.description = typeof input.body.description === 'string' ? input.body.description : null;
    await core.git.create(owner.login, name, repo.defaultBranch, input.body.auto_init === true);
    return { status: 201, body: repoJson(repo, core.urls) };
  },

  'repos/get': (core, input) => {
    const repo = core.repoFor(input);
    return { status: 200, body: repoJson(repo, core.urls) };
  },

  /** Repository settings: the twin keeps `delete_branch_on_merge` and `description`. */
  'repos/update': (core, input) => {
    const repo = core.repoFor(input, 'admin', 'administration');
    if (typeof input.body.delete_branch_on_merge === 'boolean')
      repo.deleteBranchOnMerge = input.body.delete_branch_on_merge;
    if (typeof input.body.description === 'string') repo.description = input.body.description;
    return { status: 200, body: repoJson(repo, core.urls) };
  },

  /** A branch's ref: where it points. */
  'git/get-ref': async (core, input) => {
    const repo = core.repoFor(input, 'read', 'contents');
    const ref = input.params.ref ?? '';
    const sha = ref.startsWith('heads/')
      ? await core.git.branchSha(repo.owner.login, repo.name, ref.slice('heads/'.length))
      : undefined;
    if (!sha) throw new TwinError(404, 'Not Found');
    const url = `${core.urls.api}/repos/${repo.owner.login}/${repo.name}`;
    return {
      status: 200,
      body: {
        ref: `refs/${ref}`,
        node_id: Buffer.from(`Ref:${repo.id}:${ref}`).toString('base64'),
        url: `${url}/git/refs/${ref}`,
        object: { type: 'commit', sha, url: `${url}/git/commits/${sha}` },
      },
    };
  },

  /**
   * Deleting a branch through the API. Unlike the merged pull request's "Delete branch", this does
   * not retarget the pull requests based on it: GitHub closes them.
   */
  'git/delete-ref': async (core, input) => {
    const repo = core.repoFor(input, 'write', 'contents');
    const ref = input.params.ref ?? '';
    if (!ref.startsWith('heads/')) throw new TwinError(422, 'Reference does not exist');
    const branch = ref.slice('heads/'.length);
    const before = await core.git.branchSha(repo.owner.login, repo.name, branch);
    if (!before) throw new TwinError(422, 'Reference does not exist');
    await core.git.deleteBranch(repo.owner.login, repo.name, branch);
    await branchesMoved(core, repo, [{ branch, before, after: null }], core.actingUser(input), renderPull);
    return { status: 204 };
  },

  'repos/add-collaborator': (core, input) => {
    const repo = core.repoFor(input, 'admin');
    const user = core.state.users.get(input.params.username ?? '');
    if (!user) throw new TwinError(404, 'Not Found');
    const requested = typeof input.body.permission === 'string' ? input.body.permission : 'push';
    // GitHub sends an invitation first; the twin accepts it on the spot.
    repo.collaborators.set(user.login, PERMISSION_BY_REQUEST[requested] ?? 'write');
    return { status: 204 };
  },

  'repos/get-collaborator-permission-level': (core, input) => {
    const repo = core.repoFor(input);
    const user = core.state.users.get(input.params.username ?? '');
    if (!user) throw new TwinError(404, 'Not Found');
    const roleName = core.state.permissionOf(repo, user.login);
    // GitHub folds maintain into write and triage into read in `permission`; `role_name` keeps it.
    const permission = roleName === 'maintain' ? 'write' : roleName === 'triage' ? 'read' : roleName;
    return {
      status: 200,
      body: {
        permission,
        role_name: roleName,
        user: {
          ...userJson(user, core.urls),
          permissions: {
            admin: permission === 'admin',
            maintain: roleName === 'maintain' || permission === 'admin',
            push: permission === 'write' || permission === 'admin',
            triage: roleName !== 'none',
            pull: roleName !== 'none',
          },
        },
      },
    };
  },
};
