import { describe, expect, it } from 'vitest';
import type { GitHubClient } from '../../src/github/client.ts';
import { PERMISSION_REMEMBERED_MS, triggerPermission } from '../../src/github/permissions.ts';

/** A client that answers the collaborator permission from `permissions`, counting the requests. */
function client(permissions: Record<string, string>) {
  const asked: string[] = [];
  const octokit = {
    rest: {
      repos: {
        getCollaboratorPermissionLevel: ({ username }: { username: string }) => {
          asked.push(username);
          return Promise.resolve({ data: { permission: permissions[username] ?? 'read', role_name: 'x' } });
        },
      },
    },
  };
  // Only the one endpoint the function calls is there: a full client is not needed to count it.
  return { octokit: octokit as unknown as GitHubClient, asked };
}

const repo = { owner: 'o', name: 'r', fullName: 'o/r-permissions', cloneUrl: 'u', defaultBranch: 'main' };

describe('triggerPermission', () => {
  it('asks GitHub once for a batch labelled by one maintainer, and again after a minute', async () => {
    const { octokit, asked } = client({ maria: 'write' });
    const now = 1_000_000;
    for (let i = 0; i < 5; i++)
      expect(await triggerPermission(octokit, repo, 'maria', now + i)).toEqual({ allowed: true });
    expect(asked).toEqual(['maria']);
    await triggerPermission(octokit, repo, 'maria', now + PERMISSION_REMEMBERED_MS + 1);
    expect(asked).toEqual(['maria', 'maria']);
  });

  it('never remembers a refusal: access given counts at once', async () => {
    const permissions: Record<string, string> = { newcomer: 'read' };
    const { octokit, asked } = client(permissions);
    expect((await triggerPermission(octokit, repo, 'newcomer', 5)).allowed).toBe(false);
    permissions.newcomer = 'write';
    expect((await triggerPermission(octokit, repo, 'newcomer', 6)).allowed).toBe(true);
    expect(asked).toEqual(['newcomer', 'newcomer']);
  });
});
