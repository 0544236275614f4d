import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/log/redact.ts';
import { AddedLines, WINDOW } from '../../src/runner/secret-guard.ts';

const token = `ghs_${'k'.repeat(8)}0123456789abcdefghijklmnop`;
const header = 'diff --git a/blob.bin b/blob.bin\n+++ b/blob.bin\n@@ -0,0 +1 @@\n';

describe('AddedLines', () => {
  it('finds a secret that a long line cuts in two where the window is looked at', () => {
    const scan = new AddedLines(new Redactor([token]));
    expect(scan.push(header)).toBe(false);
    // The first look happens in this chunk, with only the token's start in it.
    expect(scan.push(`+${'a'.repeat(WINDOW)}${token.slice(0, 10)}`)).toBe(false);
    expect(scan.push(`${token.slice(10)}\n`)).toBe(true);
    expect(scan.found).toBe('blob.bin');
  });

  it('holds no more than its window of a line without breaks', () => {
    const scan = new AddedLines(new Redactor([token]));
    scan.push(header);
    let most = 0;
    for (let i = 0; i < 40; i++) {
      scan.push(`${i === 0 ? '+' : ''}${'b'.repeat(256 * 1024)}`);
      most = Math.max(most, scan.heldChars);
    }
    expect(most).toBeLessThanOrEqual(WINDOW + 256 * 1024);
    scan.end();
    expect(scan.found).toBeUndefined();
  });

  it('looks only at added lines and the paths', () => {
    const scan = new AddedLines(new Redactor([token]));
    expect(scan.push(`diff --git a/x b/x\n-${token}\n ${token}\n`)).toBe(false);
    expect(scan.push(`diff --git a/y b/y\n+ok\n+also ${token}\n`)).toBe(true);
    expect(scan.found).toBe('y');
  });
});
