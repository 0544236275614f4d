/** For runner tests: repository `o/r` on a fresh twin with `files` on main, a token that may push, and a data folder. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RepoRef } from '../../src/domain/run.ts';
import { GitHubTwin } from '@switchyard/github-twin';
import { pushFiles } from './git.ts';

export interface HostedRepo {
  twin: GitHubTwin;
  repo: RepoRef;
  /** A personal token of the repository's owner. */
  token: string;
  /** An empty folder for the runner's data, removed by `stop`. */
  dataDir: string;
  stop(): Promise<void>;
}

export async function hostRepo(files: Record<string, string>, dataPrefix: string): Promise<HostedRepo> {
  const twin = await GitHubTwin.start();
  await twin.octokit('o').rest.repos.createForAuthenticatedUser({ name: 'r', auto_init: true });
  await pushFiles(twin, 'o', 'r', files);
  const token = twin.createUser('o').token;
  const dataDir = await mkdtemp(join(tmpdir(), dataPrefix));
  return {
    twin,
    repo: { owner: 'o', name: 'r', fullName: 'o/r', cloneUrl: `${twin.url}/o/r.git`, defaultBranch: 'main' },
    token,
    dataDir,
    async stop() {
      await twin.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
