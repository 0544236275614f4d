import { describe, expect, it } from 'vitest';
import { extractDiff } from '../../src/agents/diff.ts';

const DIFF = ['--- a/x.txt', '+++ b/x.txt', '@@ -1 +1 @@', '-old', '+new'].join('\n');

describe('extractDiff', () => {
  it('takes the first ```diff block', () => {
    const body = `Intro\n\n\`\`\`diff\n${DIFF}\n\`\`\`\n\n\`\`\`diff\n--- a/other\n+++ b/other\n\`\`\``;
    expect(extractDiff(body)).toEqual({ ok: true, diff: `${DIFF}\n` });
  });

  it('accepts ```patch, tildes, longer fences and info after the language', () => {
    expect(extractDiff(`~~~patch\n${DIFF}\n~~~`)).toEqual({ ok: true, diff: `${DIFF}\n` });
    expect(extractDiff(`\`\`\`\`diff title="fix"\n${DIFF}\n\`\`\`\n\`\`\`\``)).toEqual({
      ok: true,
      diff: `${DIFF}\n\`\`\`\n`,
    });
  });

  it('skips code blocks in other languages, even when they contain a diff fence', () => {
    const body = `\`\`\`\`md\n\`\`\`diff\n--- a/no\n+++ b/no\n\`\`\`\n\`\`\`\`\n\n\`\`\`diff\n${DIFF}\n\`\`\``;
    expect(extractDiff(body)).toEqual({ ok: true, diff: `${DIFF}\n` });
  });

  it('normalizes CRLF line endings as GitHub stores them', () => {
    expect(extractDiff(`\`\`\`diff\r\n${DIFF.replace(/\n/g, '\r\n')}\r\n\`\`\``)).toEqual({
      ok: true,
      diff: `${DIFF}\n`,
    });
  });

  it('strips the fence indentation from content lines', () => {
    const indented = `  \`\`\`diff\n${DIFF.split('\n')
      .map((l) => `  ${l}`)
      .join('\n')}\n  \`\`\``;
    expect(extractDiff(indented)).toEqual({ ok: true, diff: `${DIFF}\n` });
  });

  it('takes an unclosed block to the end of the body', () => {
    expect(extractDiff(`\`\`\`diff\n${DIFF}`)).toEqual({ ok: true, diff: `${DIFF}\n` });
  });

  it('explains an empty body, a body without a block, and a block that is not a diff', () => {
    expect(extractDiff('')).toMatchObject({ ok: false, problem: expect.stringContaining('empty') });
    expect(extractDiff(null)).toMatchObject({ ok: false });
    expect(extractDiff('Just words and `inline code`.')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('no fenced code block marked `diff` or `patch`'),
    });
    expect(extractDiff('```diff\nhello world\n```')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('not a unified diff'),
    });
  });
});
