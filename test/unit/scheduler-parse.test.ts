import { describe, expect, it } from 'vitest';
import { parseDependencies } from '../../src/scheduler/dependencies.ts';
import { overlap, predictFiles } from '../../src/scheduler/files.ts';

const REPO = 'octo/yard';

describe('parseDependencies', () => {
  it.each([
    ['Depends on #12', [12]],
    ['blocked by #12, #14', [12, 14]],
    ['depends on: #3 and #4', [3, 4]],
    ['Requires #7.', [7]],
    ['- [ ] Depends on #5\n- [x] requires #6', [5, 6]],
    ['DEPENDS ON #9 & #10 + #11', [9, 10, 11]],
    ['Blocked by octo/yard#8', [8]],
    ['Depends on https://github.com/octo/yard/issues/21', [21]],
  ])('%j → %j', (body, issues) => {
    expect(parseDependencies(body, REPO).issues).toEqual(issues);
  });

  it('does not read #N in a sentence without a dependency keyword', () => {
    expect(parseDependencies('See #12 for context. This fixes #3 and relates to #4.', REPO).issues).toEqual([]);
  });

  it('ignores code blocks, inline code, quotes and hidden comments', () => {
    const body = [
      '```',
      'Depends on #1',
      '```',
      'Use `depends on #2` in your issue.',
      '> Depends on #3',
      '<!-- Depends on #4 -->',
      '~~~md',
      'Blocked by #5',
      '~~~',
      'Depends on #6',
    ].join('\n');
    expect(parseDependencies(body, REPO).issues).toEqual([6]);
  });

  it('reports references to other repositories instead of guessing', () => {
    const parsed = parseDependencies('Depends on other/repo#4 and https://github.com/else/where/issues/9, #2', REPO);
    expect(parsed).toEqual({ issues: [2], foreign: ['else/where#9', 'other/repo#4'] });
  });

  it('stops a list at the end of the line', () => {
    expect(parseDependencies('Depends on #1\n#2 is unrelated', REPO).issues).toEqual([1]);
  });
});

describe('predictFiles', () => {
  it('collects backticked paths, a Files: list and globs', () => {
    const body =
      'Change `src/config.ts` and `README.md`, not `npm test`.\nFiles: src/a.ts, `lib/**/*.js` docs/\nVersion `1.2.3`.';
    expect(predictFiles(body)).toEqual(['README.md', 'docs/**', 'lib/**/*.js', 'src/a.ts', 'src/config.ts']);
  });

  it('skips paths inside code blocks', () => {
    expect(predictFiles('```\n`src/x.ts`\n```')).toEqual([]);
  });
});

describe('overlap', () => {
  it('finds equal paths, a path under a glob, and globs that can meet', () => {
    expect(overlap(['src/config.ts'], ['src/config.ts'])).toBe('src/config.ts');
    expect(overlap(['src/**/*.ts'], ['src/a/b.ts'])).toBe('src/a/b.ts');
    expect(overlap(['src/**'], ['src/db/*.sql'])).toBe('src/db/*.sql');
  });

  it('finds nothing between unrelated sets or empty ones', () => {
    expect(overlap(['src/a.ts'], ['src/b.ts'])).toBeUndefined();
    expect(overlap(['docs/**'], ['src/**'])).toBeUndefined();
    expect(overlap([], ['src/a.ts'])).toBeUndefined();
  });
});
