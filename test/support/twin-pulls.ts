/** Reading the twin's pull requests as a test waits for them. */
import type { GitHubTwin } from '@switchyard/github-twin';

/** Reads a pull request until GitHub (the twin) has computed its mergeability, which it does lazily. */
export async function settledPull(twin: GitHubTwin, params: { owner: string; repo: string }, number: number) {
  const gh = twin.octokit(params.owner);
  for (;;) {
    const { data } = await gh.rest.pulls.get({ ...params, pull_number: number });
    if (data.mergeable !== null) return data;
    await twin.idle();
  }
}
