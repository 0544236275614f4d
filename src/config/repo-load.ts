/**
 * Reading `.github/switchyard.yml` from GitHub, through Probot's config plugin (so `_extends`
 * works), and through a cache in the database while the repository has not been pushed to.
 */
import type { GitHubClient } from '../github/client.ts';
import type { GitHubRecords } from '../store/github-records.ts';
import { parseRepoConfig, REPO_CONFIG_PATH, storedConfigOf, type RepoConfigResult } from './repo.ts';

/**
 * The config a run carries (read and validated when its trigger arrived), or a fresh read from
 * GitHub for a run recorded before runs carried one.
 */
export async function configOfRun(
  run: { config: unknown; trigger: { repo: { owner: string; name: string } } },
  octokit: GitHubClient,
): Promise<RepoConfigResult> {
  if (run.config !== null && run.config !== undefined) return storedConfigOf(run);
  return loadRepoConfig(octokit, run.trigger.repo.owner, run.trigger.repo.name);
}

export async function loadRepoConfig(octokit: GitHubClient, owner: string, repo: string): Promise<RepoConfigResult> {
  let raw: unknown;
  try {
    const { config } = await octokit.config.get({ owner, repo, path: REPO_CONFIG_PATH });
    raw = config;
  } catch (error) {
    return { ok: false, problems: [(error as Error).message.replace('[@probot/octokit-plugin-config] ', '')] };
  }
  return parseRepoConfig(raw);
}

/**
 * A config read is reused while the repository has not been pushed to (`pushed_at` of the
 * trigger's payload is unchanged) and for at most this long — the bound on how late a change in
 * the organization's `.github` repository (reached through `_extends`) is seen.
 */
export const CONFIG_CACHE_MS = 10 * 60 * 1000;

/** {@link loadRepoConfig}, through the cache in the database: a burst of triggers reads once. */
export async function loadRepoConfigCached(
  octokit: GitHubClient,
  repo: { owner: string; name: string; fullName: string; pushedAt?: string | undefined },
  records: GitHubRecords,
): Promise<RepoConfigResult> {
  const pushedAt = repo.pushedAt ?? null;
  const cached = pushedAt === null ? undefined : await records.cachedConfig(repo.fullName);
  if (cached && cached.pushedAt === pushedAt && Date.now() - cached.readAt.getTime() < CONFIG_CACHE_MS) {
    return cached.problems ? { ok: false, problems: cached.problems } : parseRepoConfig(cached.raw);
  }
  const loaded = await loadRepoConfig(octokit, repo.owner, repo.name);
  await records.cacheConfig(
    repo.fullName,
    loaded.ok ? { raw: loaded.raw, problems: null, pushedAt } : { raw: null, problems: loaded.problems, pushedAt },
  );
  return loaded;
}
