/** Seeding a twin repository: files pushed with plain git over HTTP, as a person would. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { GitHubTwin } from './index.ts';

export async function pushFiles(
  twin: GitHubTwin,
  owner: string,
  repo: string,
  files: Record<string, string>,
  message = 'Add files',
  /** The branch to push to, made from the default branch when it does not exist yet. */
  branch?: string,
): Promise<void> {
  const { token } = twin.createUser(owner);
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-seed-'));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
    GIT_AUTHOR_NAME: owner,
    GIT_AUTHOR_EMAIL: `${owner}@twin.invalid`,
    GIT_COMMITTER_NAME: owner,
    GIT_COMMITTER_EMAIL: `${owner}@twin.invalid`,
  };
  try {
    await execa('git', ['clone', '--quiet', `${twin.url}/${owner}/${repo}.git`, dir + '/w'], { env, extendEnv: false });
    if (branch) {
      const exists = await execa('git', ['rev-parse', '--verify', '--quiet', `origin/${branch}`], {
        cwd: join(dir, 'w'),
        env,
        extendEnv: false,
        reject: false,
      });
      if (exists.exitCode === 0) {
        await execa('git', ['checkout', '--quiet', '-B', branch, `origin/${branch}`], {
          cwd: join(dir, 'w'),
          env,
          extendEnv: false,
        });
      }
    }
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, 'w', path)), { recursive: true });
      await writeFile(join(dir, 'w', path), content);
    }
    await execa('git', ['add', '--all'], { cwd: join(dir, 'w'), env, extendEnv: false });
    await execa('git', ['commit', '--quiet', '-m', message], { cwd: join(dir, 'w'), env, extendEnv: false });
    await execa('git', ['push', '--quiet', 'origin', branch ? `HEAD:refs/heads/${branch}` : 'HEAD'], {
      cwd: join(dir, 'w'),
      env,
      extendEnv: false,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
