import { describe, expect, it } from 'vitest';
import { pullRequestTitle } from '../../src/github/pull-request.ts';

describe('pullRequestTitle', () => {
  it('strips bidi-control and zero-width characters, as the prompt does', () => {
    const title = 'Fix \u202Eevil\u202C login\u200B bug\u2066 \uFEFFnow';
    expect(pullRequestTitle(title)).toBe('Fix evil login bug now');
    expect(pullRequestTitle(title, '{title} (#{number})', { number: 7, agent: 'a' })).toBe(
      'Fix evil login bug now (#7)',
    );
  });

  it('names an issue whose title was only invisible characters', () => {
    expect(pullRequestTitle('\u200B\u200F')).toBe('Untitled issue');
  });
});
