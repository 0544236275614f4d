/** GitHub App endpoints: the app itself, installations, tokens and webhook deliveries. */
import { githubToken } from '../auth.ts';
import { TwinError, type Handler, type HandlerInput, type TwinCore } from '../core.ts';
import { repoJson, userJson } from '../payloads.ts';
import type { TwinInstallation, TwinRepo } from '../state.ts';

function requireApp(input: HandlerInput): void {
  if (input.actor?.kind !== 'app') {
    throw new TwinError(401, 'A JSON web token could not be decoded');
  }
}

export function installationJson(core: TwinCore, installation: TwinInstallation) {
  return {
    id: installation.id,
    account: userJson(installation.account, core.urls),
    repository_selection: 'all',
    access_tokens_url: `${core.urls.api}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${core.urls.api}/installation/repositories`,
    html_url: `${core.urls.web}/settings/installations/${installation.id}`,
    app_id: core.app.id,
    app_slug: core.app.slug,
    target_id: installation.account.id,
    target_type: installation.account.type === 'Organization' ? 'Organization' : 'User',
    permissions: core.app.permissions,
    events: core.app.events,
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
    single_file_name: null,
    suspended_by: null,
    suspended_at: null,
  };
}

export const appHandlers: Record<string, Handler> = {
  // Who a user-to-server token (the OAuth web flow's) or a personal token belongs to.
  'users/get-authenticated': (core, input) => {
    if (input.actor?.kind !== 'user') throw new TwinError(401, 'Requires authentication');
    return { status: 200, body: userJson(input.actor.user, core.urls) };
  },

  'apps/get-authenticated': (core, input) => {
    requireApp(input);
    return {
      status: 200,
      body: {
        id: core.app.id,
        slug: core.app.slug,
        name: core.app.name,
        owner: userJson(core.app.owner, core.urls),
        events: core.app.events,
        permissions: core.app.permissions,
      },
    };
  },

  'apps/list-installations': (core, input) => {
    requireApp(input);
    return { status: 200, body: [...core.state.installations.values()].map((i) => installationJson(core, i)) };
  },

  'apps/get-repo-installation': (core, input) => {
    requireApp(input);
    const repo = core.state.repo(input.params.owner ?? '', input.params.repo ?? '');
    const installation = repo && core.state.installationFor(repo);
    if (!installation) throw new TwinError(404, 'Not Found');
    return { status: 200, body: installationJson(core, installation) };
  },

  'apps/create-installation-access-token': (core, input) => {
    requireApp(input);
    const installation = core.state.installations.get(Number(input.params.installation_id));
    if (!installation) throw new TwinError(404, 'Not Found');
    const names = input.body.repositories as string[] | undefined;
    const repos = [...core.state.repos.values()].filter((r) => r.owner.login === installation.account.login);
    const chosen = names ? names.map((name) => repos.find((r) => r.name === name)) : undefined;
    if (chosen?.some((r) => !r))
      throw new TwinError(
        422,
        'There is at least one repository that does not exist or is not accessible to the parent installation.',
      );
    const granted = installationJson(core, installation).permissions;
    const asked = input.body.permissions as Record<string, string> | undefined;
    for (const [name, level] of Object.entries(asked ?? {})) {
      if (!granted[name] || (level === 'write' && granted[name] !== 'write'))
        throw new TwinError(422, `The permissions requested are not granted to this installation: ${name}`);
    }
    const token = githubToken('ghs');
    const expiresAt = new Date(Date.now() + 60 * 60 * 1000);
    core.state.installationTokens.set(token, {
      installation,
      expiresAt,
      scope: { ...(names ? { repositories: names } : {}), ...(asked ? { permissions: asked } : {}) },
    });
    return {
      status: 201,
      body: {
        token,
        expires_at: expiresAt.toISOString(),
        permissions: asked ?? granted,
        repository_selection: chosen ? 'selected' : 'all',
        ...(chosen ? { repositories: chosen.map((r) => repoJson(r as TwinRepo, core.urls)) } : {}),
      },
    };
  },

  // The end of the app-manifest flow: the code GitHub's web page handed to the redirect URL
  // becomes the app's credentials (the twin has one app: these are its own).
  'apps/create-from-manifest': (core, input) => {
    const code = input.params.code ?? '';
    const manifest = core.state.manifestCodes.get(code);
    if (!manifest) throw new TwinError(404, 'Not Found');
    core.state.manifestCodes.delete(code);
    const hook = manifest.hook_attributes as { url?: string } | undefined;
    if (hook?.url) core.app.webhookUrl = hook.url;
    const now = new Date().toISOString();
    return {
      status: 201,
      body: {
        id: core.app.id,
        slug: core.app.slug,
        node_id: Buffer.from(`App:${core.app.id}`).toString('base64'),
        owner: userJson(core.app.owner, core.urls),
        name: typeof manifest.name === 'string' ? manifest.name : core.app.name,
        description: typeof manifest.description === 'string' ? manifest.description : null,
        external_url: typeof manifest.url === 'string' ? manifest.url : core.urls.web,
        html_url: `${core.urls.web}/apps/${core.app.slug}`,
        created_at: now,
        updated_at: now,
        permissions: core.app.permissions,
        events: core.app.events,
        client_id: core.app.clientId,
        client_secret: core.app.clientSecret,
        webhook_secret: core.app.webhookSecret,
        pem: core.app.privateKey,
      },
    };
  },

  'apps/revoke-installation-access-token': (core, input) => {
    if (input.actor?.kind !== 'installation') throw new TwinError(401, 'Bad credentials');
    const header = String(input.headers.authorization ?? '');
    core.state.installationTokens.delete(header.split(' ')[1] ?? '');
    return { status: 204 };
  },

  'apps/list-webhook-deliveries': (core, input) => {
    requireApp(input);
    return {
      status: 200,
      body: core.webhooks.deliveries.map((d, index) => ({
        id: index + 1,
        guid: d.id,
        delivered_at: new Date().toISOString(),
        redelivery: d.redelivery,
        duration: (d.durationMs ?? 0) / 1000,
        status: d.status ? 'OK' : 'pending',
        status_code: d.status ?? 0,
        event: d.event,
        action: d.action ?? null,
        installation_id: null,
        repository_id: null,
      })),
    };
  },

  'apps/redeliver-webhook-delivery': (core, input) => {
    requireApp(input);
    const original = core.webhooks.deliveries[Number(input.params.delivery_id) - 1];
    if (!original) throw new TwinError(404, 'Not Found');
    core.webhooks.redeliver(original.id);
    return { status: 202, body: {} };
  },
};
