/**
 * A repository's CI, as a GitHub App and a status-posting service would run it against the twin:
 * for every new head of `main` and of each open pull request it checks the commit out, runs the
 * project's own commands, and reports each as a check run (created in progress, completed with
 * its output) or as a commit status (pending, then its result). A check can apply to some
 * commits only (a path-filtered workflow), and heads can be held back, as a busy CI would.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Octokit } from '@octokit/rest';
import type { Stack } from './stack.ts';

const run = promisify(execFile);

export interface CiCheck {
  name: string;
  /** A check run of the CI app, or a commit status. */
  kind: 'check-run' | 'status';
  /** The command, run in a checkout of the commit. */
  command: string[];
  /** Whether the check runs for this commit (given the files it changed against `main`, and whether it is `main`). */
  appliesTo?: (changed: readonly string[], isMain: boolean) => boolean;
  /** Text the check prints on failure besides the command's own output (test output can carry anything). */
  extraOutput?: string;
}

export interface Ci {
  /** Heads CI finished, in order, with each check's result. */
  readonly reported: Array<{ sha: string; branch: string; name: string; passed: boolean }>;
  /** Keeps CI from running on heads of `branch` until released. */
  hold(branch: string): void;
  /** The heads of a held `branch` that CI has seen and holds back, in the order it saw them. */
  heldHeads(branch: string): readonly string[];
  release(branch: string): void;
  stop(): Promise<void>;
}

export function startCi(stack: Stack, checks: readonly CiCheck[]): Ci {
  const app = stack.twin.installOtherApp(stack.owner, { slug: 'twin-ci', name: 'Twin CI' });
  const gitDir = join(stack.twin.dataDir, 'git', stack.owner, `${stack.repo}.git`);
  const params = { owner: stack.owner, repo: stack.repo };
  const seen = new Set<string>();
  const held = new Map<string, string[]>();
  const reported: Ci['reported'] = [];
  let stopped = false;

  async function checkOut(sha: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-ci-'));
    await run('sh', ['-c', `git --git-dir "$1" archive "$2" | tar -x -C "$3"`, 'sh', gitDir, sha, dir]);
    return dir;
  }

  async function changedFiles(sha: string): Promise<string[]> {
    const { stdout } = await run('git', ['--git-dir', gitDir, 'diff', '--name-only', `refs/heads/main...${sha}`]);
    return stdout.split('\n').filter(Boolean);
  }

  async function runChecks(sha: string, branch: string, isMain: boolean, gh: Octokit): Promise<void> {
    const changed = isMain ? [] : await changedFiles(sha);
    const mine = checks.filter((check) => check.appliesTo?.(changed, isMain) ?? true);
    const started = new Map<string, number>();
    // Everything is announced first, so the pull request shows pending checks until the last one ends.
    for (const check of mine) {
      if (check.kind === 'status')
        await gh.rest.repos.createCommitStatus({ ...params, sha, state: 'pending', context: check.name });
      else {
        const { data } = await app.octokit.rest.checks.create({
          ...params,
          name: check.name,
          head_sha: sha,
          status: 'in_progress',
        });
        started.set(check.name, data.id);
      }
    }
    const dir = await checkOut(sha);
    try {
      for (const check of mine) {
        const [file = 'true', ...args] = check.command;
        const result = await run(file, args, { cwd: dir, timeout: 60_000 }).then(
          ({ stdout, stderr }) => ({ passed: true, output: `${stdout}${stderr}` }),
          (error: { stdout?: string; stderr?: string }) => ({
            passed: false,
            output: `${error.stdout ?? ''}${error.stderr ?? ''}${check.extraOutput ?? ''}`,
          }),
        );
        reported.push({ sha, branch, name: check.name, passed: result.passed });
        if (check.kind === 'status') {
          await gh.rest.repos.createCommitStatus({
            ...params,
            sha,
            state: result.passed ? 'success' : 'failure',
            context: check.name,
            description: result.passed ? 'passed' : `${check.command.join(' ')} failed`,
          });
        } else {
          await app.octokit.rest.checks.update({
            ...params,
            check_run_id: started.get(check.name) ?? 0,
            conclusion: result.passed ? 'success' : 'failure',
            output: {
              title: result.passed ? 'passed' : `${check.name} failed`,
              summary: `\`${check.command.join(' ')}\` exited ${result.passed ? '0' : 'non-zero'}`,
              text: result.output.slice(-60_000),
            },
          });
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function heads(): Promise<Array<{ sha: string; branch: string; isMain: boolean }>> {
    const { data: main } = await stack.gh.rest.git.getRef({ ...params, ref: 'heads/main' });
    const { data: pulls } = await stack.gh.rest.pulls.list({ ...params, state: 'open', per_page: 100 });
    return [
      { sha: main.object.sha, branch: 'main', isMain: true },
      ...pulls.map((pull) => ({ sha: pull.head.sha, branch: pull.head.ref, isMain: false })),
    ];
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        for (const head of await heads()) {
          if (seen.has(head.sha)) continue;
          const waiting = held.get(head.branch);
          if (waiting) {
            if (!waiting.includes(head.sha)) waiting.push(head.sha);
            continue;
          }
          seen.add(head.sha);
          await runChecks(head.sha, head.branch, head.isMain, stack.gh);
        }
      } catch {
        // The twin stopping under the loop ends it; anything else shows up as a missing result.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();

  return {
    reported,
    hold(branch) {
      held.set(branch, []);
    },
    heldHeads(branch) {
      return [...(held.get(branch) ?? [])];
    },
    release(branch) {
      const waiting = held.get(branch) ?? [];
      held.delete(branch);
      // A held head that is no longer the head is still run, as a CI runs every pushed commit.
      void (async () => {
        for (const sha of waiting) {
          if (seen.has(sha)) continue;
          seen.add(sha);
          await runChecks(sha, branch, false, stack.gh).catch(() => undefined);
        }
      })();
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
