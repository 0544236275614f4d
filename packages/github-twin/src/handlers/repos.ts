/** Repository endpoints: creation, metadata and collaborator permissions. */
import { TwinError, type Handler } from '../core.ts';
import { repoJson, userJson } from '../payloads.ts';
import type { Permission } from '../state.ts';

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
