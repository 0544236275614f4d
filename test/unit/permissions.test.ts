import { describe, expect, it } from 'vitest';
import { decidePermission } from '../../src/github/permissions.ts';
import { agentOfLabel, parseTrigger, type LabeledPayload } from '../../src/github/trigger.ts';

describe('decidePermission', () => {
  it.each([
    ['admin', 'admin', true],
    ['write', 'maintain', true],
    ['write', 'write', true],
    ['write', 'release-manager', true],
    ['read', 'triage', false],
    ['read', 'read', false],
    ['none', 'none', false],
  ])('permission %s (role %s) → allowed %s', (permission, role, allowed) => {
    expect(decidePermission(permission, role).allowed).toBe(allowed);
  });

  it('names the precise role in a refusal', () => {
    expect(decidePermission('read', 'triage')).toEqual({ allowed: false, permission: 'triage' });
    expect(decidePermission('read')).toEqual({ allowed: false, permission: 'read' });
  });
});

function payload(overrides: Partial<LabeledPayload> = {}): LabeledPayload {
  return {
    label: { name: 'agent:patch' },
    sender: { login: 'maintainer', type: 'User' },
    installation: { id: 9 },
    repository: {
      name: 'r',
      full_name: 'o/r',
      clone_url: 'https://github.com/o/r.git',
      default_branch: 'main',
      owner: { login: 'o' },
    },
    issue: {
      number: 4,
      title: 'T',
      body: null,
      html_url: 'https://github.com/o/r/issues/4',
      user: { login: 'author' },
      labels: [{ name: 'bug' }],
    },
    ...overrides,
  };
}

describe('parseTrigger', () => {
  it('reads an agent label into a trigger', () => {
    const parsed = parseTrigger(payload(), 'delivery-1');
    expect(parsed).toMatchObject({
      kind: 'trigger',
      trigger: { agent: 'patch', deliveryId: 'delivery-1', installationId: 9, issue: { body: '', labels: ['bug'] } },
    });
  });

  it('ignores other labels, bots, pull requests and deliveries without installation', () => {
    expect(parseTrigger(payload({ label: { name: 'bug' } }), 'd')).toMatchObject({
      kind: 'ignore',
      why: 'not an agent label',
    });
    expect(parseTrigger(payload({ sender: { login: 'dependabot[bot]', type: 'Bot' } }), 'd')).toMatchObject({
      kind: 'ignore',
      why: expect.stringContaining('bot'),
    });
    expect(parseTrigger(payload({ installation: undefined }), 'd')).toMatchObject({ kind: 'ignore' });
    const pr = payload();
    pr.issue.pull_request = {};
    expect(parseTrigger(pr, 'd')).toMatchObject({ kind: 'ignore' });
  });

  it('reads the agent name case-insensitively and refuses an empty one', () => {
    expect(agentOfLabel('Agent:Claude')).toBe('claude');
    expect(agentOfLabel('agent:')).toBeUndefined();
    expect(agentOfLabel('agents:x')).toBeUndefined();
  });
});
