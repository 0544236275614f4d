import { describe, expect, it } from 'vitest';
import { agentDefinition, RESERVED_ENVIRONMENT } from '../../src/config/agents.ts';
import { launchFor, MAX_BODY_IN_ENV, type LaunchContext } from '../../src/agents/launch.ts';

const context: LaunchContext = {
  runId: 'r1',
  repo: 'o/r',
  issueNumber: 3,
  issueTitle: '$(whoami)',
  issueBody: 'body',
  issueUrl: 'https://github.com/o/r/issues/3',
  branch: 'agent/3-whoami',
  worktree: '/w',
  home: '/h',
  promptFile: '/w/.switchyard/prompt.md',
  summaryFile: '/w/.switchyard/summary.md',
  issueFile: '/w/.switchyard/issue.md',
  diffFile: '/w/.switchyard/issue.diff',
};

const ambient = {
  PATH: '/usr/bin',
  PRIVATE_KEY: 'k',
  WEBHOOK_SECRET: 'w',
  DATABASE_URL: 'postgres://u:p@h/d',
  APP_ID: '1',
  ANTHROPIC_API_KEY: 'sk-ant',
  UNRELATED: 'x',
};

describe('launchFor', () => {
  it('gives an agent an allow-listed environment without Switchyard credentials', () => {
    const agent = agentDefinition.parse({
      kind: 'command',
      command: ['claude', '-p'],
      passEnv: ['ANTHROPIC_API_KEY'],
      env: { MODEL: 'x' },
    });
    const launch = launchFor(agent, context, ambient);
    expect(launch.argv).toEqual(['claude', '-p']);
    expect(launch.env.ANTHROPIC_API_KEY).toBe('sk-ant');
    expect(launch.env.MODEL).toBe('x');
    expect(launch.env.HOME).toBe('/h');
    expect(launch.env.SWITCHYARD_ISSUE_TITLE).toBe('$(whoami)');
    for (const name of [...RESERVED_ENVIRONMENT, 'UNRELATED']) expect(launch.env).not.toHaveProperty(name);
  });

  it("passes a preset's credential variables through unless the operator chose the list", () => {
    const claude = launchFor(agentDefinition.parse({ kind: 'claude' }), context, {
      ...ambient,
      CLAUDE_CODE_OAUTH_TOKEN: 'oauth',
    });
    expect(claude.env.ANTHROPIC_API_KEY).toBe('sk-ant');
    expect(claude.env.CLAUDE_CODE_OAUTH_TOKEN).toBe('oauth');
    expect(claude.stdinFile).toBe('/w/.switchyard/prompt.md');
    for (const name of [...RESERVED_ENVIRONMENT, 'UNRELATED']) expect(claude.env).not.toHaveProperty(name);
    const chosen = launchFor(agentDefinition.parse({ kind: 'claude', passEnv: ['UNRELATED'] }), context, ambient);
    expect(chosen.env.UNRELATED).toBe('x');
    expect(chosen.env).not.toHaveProperty('ANTHROPIC_API_KEY');
    expect(agentDefinition.safeParse({ kind: 'codex', passEnv: ['GITHUB_TOKEN'] }).success).toBe(false);
    expect(agentDefinition.safeParse({ kind: 'cursor' }).success).toBe(false);
  });

  it('passes a body too large for one environment variable by file only', () => {
    const agent = agentDefinition.parse({ kind: 'command', command: ['x'] });
    const launch = launchFor(agent, { ...context, issueBody: 'a'.repeat(1024 * 1024) }, ambient);
    expect(launch.env.SWITCHYARD_ISSUE_BODY).toBeUndefined();
    expect(launch.env.SWITCHYARD_ISSUE_BODY_TRUNCATED).toBe('1');
    expect(launch.env.SWITCHYARD_ISSUE_BODY_FILE).toBe('/w/.switchyard/issue.md');
    expect(MAX_BODY_IN_ENV).toBeLessThan(128 * 1024);
  });

  it('runs git apply on the diff file for the patch agent', () => {
    const agent = agentDefinition.parse({ kind: 'patch' });
    expect(launchFor(agent, context, ambient).argv).toEqual([
      'git',
      'apply',
      '--verbose',
      '--whitespace=nowarn',
      '/w/.switchyard/issue.diff',
    ]);
  });

  it('refuses configuration that would hand an agent a credential', () => {
    expect(agentDefinition.safeParse({ kind: 'command', command: ['x'], passEnv: ['PRIVATE_KEY'] }).success).toBe(
      false,
    );
    expect(agentDefinition.safeParse({ kind: 'command', command: ['x'], env: { DATABASE_URL: 'y' } }).success).toBe(
      false,
    );
    expect(agentDefinition.safeParse({ kind: 'command', command: ['x'], timeout: 'soon' }).success).toBe(false);
    expect(agentDefinition.safeParse({ kind: 'command', command: [] }).success).toBe(false);
  });
});
