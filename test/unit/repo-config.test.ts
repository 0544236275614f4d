/** `.github/switchyard.yml`: what each broken file is told, and what a valid one means. */
import { describe, expect, it } from 'vitest';
import { configErrorMessage, parseRepoConfig, renderTitle, resolveAgent } from '../../src/config/repo.ts';

const BROKEN: Array<[string, unknown, string[]]> = [
  [
    'a window that is not a duration',
    { batching: { window: 'soon' } },
    ['`batching.window`: "soon" is not a duration (try 0, 10s or 2m)'],
  ],
  ['no concurrency at all', { concurrency: 0 }, ['`concurrency`: Too small: expected number to be >=1']],
  ['concurrency as words', { concurrency: 'many' }, ['`concurrency`: Invalid input: expected number, received string']],
  [
    'an unknown draft mode',
    { pullRequest: { draft: 'sometimes' } },
    ['`pullRequest.draft`: Invalid option: expected one of "always"|"never"|"when-checks-fail"'],
  ],
  [
    'a title placeholder that does not exist',
    { pullRequest: { title: '{title} by {user}' } },
    ['`pullRequest.title`: "{user}" is not a placeholder (use {title}, {number}, {agent})'],
  ],
  [
    'an unknown reviewer',
    { pullRequest: { reviewers: ['everyone'] } },
    ['`pullRequest.reviewers.0`: Invalid option: expected one of "author"|"labeller"'],
  ],
  [
    'an unknown status label',
    { statusLabels: { started: 'x' } },
    ['`statusLabels.started` is not a setting Switchyard knows (see schema/switchyard.schema.json)'],
  ],
  [
    'an agent mapping that is a number',
    { agents: { fix: 42 } },
    ['`agents.fix`: must name an operator agent (`fix: claude`) or be `{ agent, prompt }`'],
  ],
  [
    'an unknown top-level key',
    { labels: true, extra: 1 },
    ['`labels`, `extra` are not settings Switchyard knows (see schema/switchyard.schema.json)'],
  ],
  [
    'checks as one string',
    { checks: 'npm test' },
    ['`checks`: must be a list of commands, or `{ commands, timeout }`'],
  ],
  ['a negative limit', { limits: { runsPerHour: -1 } }, ['`limits.runsPerHour`: Too small: expected number to be >=1']],
  [
    'an unknown release mode',
    { dependencies: { release: 'whenever' } },
    ['`dependencies.release`: Invalid option: expected one of "merged"|"stacked"'],
  ],
];

describe('repository config', () => {
  it.each(BROKEN)('answers %s precisely', (_what, raw, problems) => {
    const result = parseRepoConfig(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toEqual(problems);
  });

  it('puts the problems in one comment that says nothing ran', () => {
    expect(configErrorMessage(['`concurrency`: Too small: expected number to be >=1'])).toBe(
      'Switchyard could not use `.github/switchyard.yml`, so nothing was started:\n\n- `concurrency`: Too small: expected number to be >=1\n\nFix the file and add the label again.',
    );
  });

  it('reads an empty file as the defaults', () => {
    const result = parseRepoConfig(null);
    expect(result.ok && result.config.statusLabels).toEqual({
      queued: 'switchyard:queued',
      running: 'switchyard:running',
      done: 'switchyard:done',
      failed: 'switchyard:failed',
    });
    expect(result.ok && result.config.pullRequest).toEqual({
      draft: 'never',
      labels: [],
      reviewers: [],
      title: '{title}',
      update: 'conflicting',
      maxRepairs: 2,
      unionMerge: [],
      fixFailingChecks: 0,
    });
  });

  it('takes the rounds of fixes for failing checks, from 0 to 10', () => {
    expect(parseRepoConfig({ pullRequest: { fixFailingChecks: 3 } })).toMatchObject({
      ok: true,
      config: { pullRequest: { fixFailingChecks: 3 } },
    });
    const bad = parseRepoConfig({ pullRequest: { fixFailingChecks: 11 } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.join('\n')).toContain('pullRequest.fixFailingChecks');
  });

  it('takes the ways a pull request is kept mergeable, and refuses a union path that is not one line of attributes', () => {
    const chosen = parseRepoConfig({ pullRequest: { update: 'behind', maxRepairs: 0, unionMerge: ['CHANGELOG.md'] } });
    expect(chosen.ok && chosen.config.pullRequest).toMatchObject({
      update: 'behind',
      maxRepairs: 0,
      unionMerge: ['CHANGELOG.md'],
    });
    const bad = parseRepoConfig({ pullRequest: { update: 'always', unionMerge: ['docs/a b.md'] } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.join('\n')).toContain('`pullRequest.update`');
    expect(!bad.ok && bad.problems.join('\n')).toContain('`pullRequest.unionMerge.0`: must be a path');
  });

  it('turns status labels off, or renames some', () => {
    expect(
      parseRepoConfig({ statusLabels: false }).ok &&
        (parseRepoConfig({ statusLabels: false }) as { config: { statusLabels: unknown } }).config.statusLabels,
    ).toBeNull();
    const renamed = parseRepoConfig({ statusLabels: { failed: 'needs-human' } });
    expect(renamed.ok && renamed.config.statusLabels?.failed).toBe('needs-human');
    expect(renamed.ok && renamed.config.statusLabels?.done).toBe('switchyard:done');
  });

  it('maps a label to an operator agent with prompt additions, with or without the agent: prefix', () => {
    const result = parseRepoConfig({
      agents: { fix: { agent: 'Claude', prompt: 'Run npm test.' }, 'agent:docs': 'aider' },
    });
    if (!result.ok) throw new Error(result.problems.join());
    expect(resolveAgent('fix', result.config)).toEqual({ agent: 'claude', prompt: 'Run npm test.' });
    expect(resolveAgent('docs', result.config)).toEqual({ agent: 'aider', prompt: undefined });
    expect(resolveAgent('patch', result.config)).toEqual({ agent: 'patch', prompt: undefined });
  });

  it('renders a pull request title template', () => {
    expect(renderTitle('[{agent}] {title} (#{number})', { title: 'Fix it', number: 7, agent: 'claude' })).toBe(
      '[claude] Fix it (#7)',
    );
  });
});
