/** Runs that fail, and inputs meant to break things: each ends in a precise status, nothing leaks. */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceLineDiff } from '../support/git.ts';
import { processesLeftUnder } from '../support/processes.ts';
import { addLabel, lastRun, openIssue, startStack, statusShowing, type Stack } from '../support/stack.ts';
import { sign } from '@switchyard/github-twin/webhooks';

// Prints the issue body it was given, then fails: the body carries a token.
const ECHO_AND_FAIL = [
  'node',
  '-e',
  "process.stdout.write(require('fs').readFileSync(process.env.SWITCHYARD_ISSUE_BODY_FILE, 'utf8')); process.exit(3)",
];
// Writes a file named after the issue title, proving the title arrived intact and unexecuted.
const WRITE_TITLE = [
  'node',
  '-e',
  "require('fs').writeFileSync('title.txt', process.env.SWITCHYARD_ISSUE_TITLE + '\\n')",
];

describe('failures and hostile input', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      agents: {
        'echo-fail': { kind: 'command', command: ECHO_AND_FAIL, timeout: 60_000, passEnv: [], env: {} },
        'write-title': { kind: 'command', command: WRITE_TITLE, timeout: 60_000, passEnv: [], env: {} },
        noop: { kind: 'command', command: ['true'], timeout: 60_000, passEnv: [], env: {} },
        // Holds ever more memory: a string that doubles until the kernel stops it.
        hog: {
          kind: 'command',
          command: ['sh', '-c', 'echo started > hog.txt; x=0123456789; while :; do x="$x$x"; done'],
          timeout: 60_000,
          passEnv: [],
          env: {},
          limits: { memory: 128 * 1024 ** 2 },
        },
        // Fills its worktree, 2 MiB at a time, until it is stopped.
        filler: {
          kind: 'command',
          command: ['sh', '-c', 'i=0; while :; do head -c 2097152 /dev/urandom > "fill-$i.bin"; i=$((i + 1)); done'],
          timeout: 60_000,
          passEnv: [],
          env: {},
          limits: { worktree: 16 * 1024 ** 2 },
        },
        // Files the size GitHub refuses (over 100 MiB) and warns about (over 50 MiB), written sparse.
        big: {
          kind: 'command',
          command: ['sh', '-c', 'truncate -s 101M huge.bin; truncate -s 51M large.bin; echo done > note.txt'],
          timeout: 60_000,
          passEnv: [],
          env: {},
        },
        'only-huge': {
          kind: 'command',
          command: ['truncate', '-s', '120M', 'huge.bin'],
          timeout: 60_000,
          passEnv: [],
          env: {},
        },
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers a signed issues.labeled without an issue with 400 and the field, not a crash', async () => {
    const body = JSON.stringify({
      action: 'labeled',
      issue: null,
      label: { name: 'agent:patch' },
      repository: { full_name: `${stack.owner}/${stack.repo}`, name: stack.repo, owner: { login: stack.owner } },
      sender: { login: stack.owner, type: 'User' },
      installation: { id: 1 },
    });
    const response = await fetch(stack.twin.app.webhookUrl ?? '', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': 'malformed-1',
        'x-hub-signature-256': sign(stack.twin.app.webhookSecret, body),
      },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      'The issues.labeled payload is malformed: issue: Invalid input: expected object, received null',
    );
    // Unsigned, the same body is refused before any handler sees it.
    const unsigned = await fetch(stack.twin.app.webhookUrl ?? '', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': 'malformed-2',
        'x-hub-signature-256': 'sha256=00',
      },
      body,
    });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.text()).toMatch(/signature/i);
  });

  it('fails a patch that does not apply, saying why', async () => {
    const body = `\`\`\`diff\n${replaceLineDiff('src/greeting.txt', 'goodbye', 'hello again')}\`\`\`\n`;
    const issue = await openIssue(stack, 'Patch that does not apply', body);
    await addLabel(stack, issue, 'agent:patch');
    const status = await statusShowing(stack, issue, 'Failed');
    expect(status).toContain('The diff in the issue body does not apply');
    expect(status).toContain('src/greeting.txt');
  });

  it('fails a body without a diff block, saying so', async () => {
    const issue = await openIssue(stack, 'No diff here', 'Please fix the greeting.');
    await addLabel(stack, issue, 'agent:patch');
    const status = await statusShowing(stack, issue, 'Failed');
    expect(status).toContain('no fenced code block marked `diff` or `patch`');
  });

  it('fails an agent that exits non-zero, and redacts a token it prints from the comment and the logs', async () => {
    const { token } = stack.twin.createUser('leaky');
    const issue = await openIssue(stack, 'Agent that leaks', `Here is a token: ${token}\nAnd the end.`);
    await addLabel(stack, issue, 'agent:echo-fail');
    const status = await statusShowing(stack, issue, 'Failed');
    expect(status).toContain('The echo-fail agent exited with code 3.');
    expect(status).toContain('Here is a token: [REDACTED]');
    expect(status).not.toContain(token);
    expect(stack.logs.join('\n')).not.toContain(token);
  });

  it('passes a title full of shell metacharacters to the agent as data, and slugs the branch', async () => {
    await rm('/tmp/pwned', { force: true });
    const title = '$(touch /tmp/pwned) `rm -rf /` ; echo "x" | cat > y && ünïcödé ' + 'z'.repeat(300);
    const issue = await openIssue(stack, title, 'Write the title down.');
    await addLabel(stack, issue, 'agent:write-title');
    const status = await statusShowing(stack, issue, 'Succeeded');
    const pullNumber = Number(/pull request #(\d+)/.exec(status)?.[1]);
    const { data: pull } = await stack.gh.rest.pulls.get({
      owner: stack.owner,
      repo: stack.repo,
      pull_number: pullNumber,
    });
    expect(pull.head.ref).toMatch(/^agent\/\d+-touch-tmp-pwned-rm-rf-echo-x-cat-y/);
    expect(pull.head.ref.length).toBeLessThan(60);
    expect(pull.title).toBe(title.slice(0, 255) + '…');
    expect(pull.changed_files).toBe(1);
    const gitDir = join(stack.twin.dataDir, 'git', stack.owner, `${stack.repo}.git`);
    const { stdout } = await execa('git', ['--git-dir', gitDir, 'show', `${pull.head.ref}:title.txt`]);
    expect(stdout).toBe(title);
    expect(existsSync('/tmp/pwned')).toBe(false);
  });

  it('says so when the agent changes nothing, and opens no pull request', async () => {
    const issue = await openIssue(stack, 'Nothing to do', 'Really nothing.');
    await addLabel(stack, issue, 'agent:noop');
    const status = await statusShowing(stack, issue, 'Succeeded');
    expect(status).toContain('without changing any file');
    const { data: pulls } = await stack.gh.rest.pulls.list({ owner: stack.owner, repo: stack.repo, state: 'all' });
    expect(pulls.some((p) => p.body?.includes(`Closes #${issue}`))).toBe(false);
  });

  it('stops an agent past its memory limit, says which limit, and keeps its work', async () => {
    const issue = await openIssue(stack, 'Hold all the memory', 'Go.');
    await addLabel(stack, issue, 'agent:hog');
    const status = await statusShowing(stack, issue, 'Stopped at a limit', 60_000);
    expect(status).toMatch(
      /Stopped after \d+\.\d s: the agent used more than its 128 MiB of memory \(`limits.memory`\)/,
    );
    expect(status).toContain('Work kept on branch');
  });

  it('stops an agent that fills its worktree, says which limit, and pushes none of it', async () => {
    const issue = await openIssue(stack, 'Fill the disk', 'Go.');
    await addLabel(stack, issue, 'agent:filler');
    const status = await statusShowing(stack, issue, 'Stopped at a limit', 60_000);
    expect(status).toMatch(
      /Stopped after \d+\.\d s: the agent wrote more than its 16 MiB to its worktree \(`limits.worktree`\)\. Its files were not committed\./,
    );
    expect(status).not.toContain('Work kept on branch');
    const run = await lastRun(stack, issue);
    expect(run?.state).toBe('over_limit');
    expect(run?.pullRequestNumber ?? undefined).toBeUndefined();
  });

  it("leaves files GitHub would refuse out of the commit, names them with GitHub's advice, and warns of large ones", async () => {
    const issue = await openIssue(stack, 'Add the data set', 'Go.');
    await addLabel(stack, issue, 'agent:big');
    const status = await statusShowing(stack, issue, 'Succeeded', 60_000);
    expect(status).toContain('Left out of the commit: `huge.bin` (101.0 MiB). GitHub refuses files over 100 MiB');
    expect(status).toContain('Git LFS');
    expect(status).toContain('GitHub warns about files over 50 MiB: `large.bin` (51.0 MiB)');
    const run = await lastRun(stack, issue);
    const { data: pull } = await stack.gh.rest.pulls.get({
      owner: stack.owner,
      repo: stack.repo,
      pull_number: run?.pullRequestNumber ?? 0,
    });
    expect(pull.body).toContain('`huge.bin` (101.0 MiB)');
    // The pushed branch, as the repository has it: the huge file is not there.
    const tree = await execa('git', [
      '--git-dir',
      join(stack.twin.dataDir, 'git', stack.owner, `${stack.repo}.git`),
      'ls-tree',
      '--name-only',
      pull.head.sha,
    ]);
    expect(tree.stdout.split('\n')).toEqual(expect.arrayContaining(['large.bin', 'note.txt']));
    expect(tree.stdout.split('\n')).not.toContain('huge.bin');

    const only = await openIssue(stack, 'Only the huge file', 'Go.');
    await addLabel(stack, only, 'agent:only-huge');
    expect(await statusShowing(stack, only, 'Failed', 60_000)).toContain(
      'The agent changed only files GitHub refuses: `huge.bin` (120.0 MiB).',
    );
  });

  it('leaves no worktree and no process behind', async () => {
    for (const dir of stack.dataDirs)
      expect(await readdir(join(dir, 'worktrees', stack.owner, stack.repo)).catch(() => [])).toEqual([]);
    for (const dir of stack.dataDirs) expect(await processesLeftUnder(dir)).toEqual([]);
    await stack.twin.idle();
    expect(stack.twin.violations).toEqual([]);
  });
});
