import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/github/command-line.ts';
import { unknownCommandMessage } from '../../src/jobs/command.ts';

describe('parseCommand', () => {
  it.each([
    ['/agent retry', 'retry', ''],
    ['Thanks!\n  /agent STATUS please', 'status', 'please'],
    ['/agent', '', ''],
    ['/agent frobnicate now', 'frobnicate', 'now'],
    [
      '/agent retry use the blue one\nand keep the tests:\n```ts\nexpect(x).toBe(1)\n```',
      'retry',
      'use the blue one\nand keep the tests:\n```ts\nexpect(x).toBe(1)\n```',
    ],
  ])('reads %j as %j with arguments %j', (body, name, args) => {
    expect(parseCommand(body)).toEqual({ name, args });
  });

  it.each([
    ['no command here'],
    ['> /agent retry'],
    ['Use `/agent retry` to try again.'],
    ['```\n/agent retry\n```'],
    ['~~~md\n/agent cancel\n~~~\n'],
    ['/agents list'],
    [null],
  ])('finds no command in %j', (body) => {
    expect(parseCommand(body)).toBeUndefined();
  });

  it('keeps a reply about an unknown command inside its code span', () => {
    expect(unknownCommandMessage('a', 'x`y')).toContain("`/agent x'y`");
  });
});

describe("the dashboard issue's retry boxes", () => {
  it('finds the boxes that went from empty to ticked, and only those', async () => {
    const { tickedRetries } = await import('../../src/github/repo-dashboard.ts');
    const before = '- [ ] <!-- retry:3 --> #3 a\n- [x] <!-- retry:4 --> #4 b\n- [ ] <!-- retry:5 --> #5 c\n';
    const after =
      '- [x] <!-- retry:3 --> #3 a\n- [x] <!-- retry:4 --> #4 b\n- [ ] <!-- retry:5 --> #5 c\n- [x] <!-- retry:6 --> #6 new\n';
    expect(tickedRetries(before, after)).toEqual([3]);
    expect(tickedRetries(after, before)).toEqual([]);
  });
});
