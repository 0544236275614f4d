/**
 * Repository settings: `.github/switchyard.yml`, read through Probot's config plugin (so
 * `_extends` from an organization's `.github` repository works) and validated with zod. An
 * invalid file is reported with the key path and the problem; nothing runs.
 */
import ms from 'ms';
import { z } from 'zod';
import type { GitHubClient } from '../github/client.ts';

export const REPO_CONFIG_PATH = '.github/switchyard.yml';

/** A duration of zero or more: `0`, `500ms`, `10s`, `2m`, or milliseconds. */
const window = z.union([z.number().int().min(0), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const parsed = value.trim() === '0' ? 0 : ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (try 0, 10s or 2m)` });
    return z.NEVER;
  }
  return parsed;
});

export const repoConfigSchema = z
  .object({
    batching: z.object({ window: window.optional() }).strict().default({}),
    /** Runs at once in this repository. */
    concurrency: z.number().int().min(1).max(64).optional(),
    dependencies: z.object({ release: z.enum(['merged', 'stacked']).default('merged') }).strict().default({ release: 'merged' }),
    limits: z
      .object({
        maxOpenPullRequests: z.number().int().min(1).nullable().default(null),
        runsPerHour: z.number().int().min(1).nullable().default(null),
      })
      .strict()
      .default({ maxOpenPullRequests: null, runsPerHour: null }),
    /** Commands run after the agent, in the worktree and sandbox: `npm ci`, `npm test`, … */
    checks: z
      .union([z.array(z.string().min(1)).max(20), z.object({ commands: z.array(z.string().min(1)).max(20), timeout: window.optional() }).strict()])
      .default([])
      .transform((value) => (Array.isArray(value) ? { commands: value, timeoutMs: undefined } : { commands: value.commands, timeoutMs: value.timeout })),
    runner: z
      .object({
        /** Lowers the operator's agent timeout for this repository (never raises it). */
        timeout: window.optional(),
        /** Keep up to this many clean worktrees to reuse (true = 2), so installs and caches survive. */
        reuseWorktrees: z.union([z.boolean(), z.number().int().min(0).max(16)]).default(false),
        /** Paths a reused worktree keeps between runs, such as node_modules. */
        keep: z.array(z.string().min(1)).default(['node_modules']),
      })
      .strict()
      .default({ reuseWorktrees: false, keep: ['node_modules'] }),
    /** Label names that set a run's priority, most urgent (0) first. */
    priorities: z.array(z.string().min(1)).min(1).max(10).default(['priority:P0', 'priority:P1', 'priority:P2', 'priority:P3']),
  })
  .strict();

export type RepoConfig = z.infer<typeof repoConfigSchema>;

/** `raw` is the file as read (before defaults), kept with a run so later readers validate the same text. */
export type RepoConfigResult = { ok: true; config: RepoConfig; raw: unknown } | { ok: false; problems: string[] };

/** Validates a parsed file; each problem names its key path. */
export function parseRepoConfig(raw: unknown): RepoConfigResult {
  const result = repoConfigSchema.safeParse(raw ?? {});
  if (result.success) return { ok: true, config: result.data, raw: raw ?? {} };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.map((k) => `\`${path ? `${path}.` : ''}${k}\``).join(', ')}` : '';
      return `${path ? `\`${path}\`: ` : ''}${issue.message}${keys}`;
    }),
  };
}

/**
 * The config a run carries (read and validated when its trigger arrived), or a fresh read from
 * GitHub for a run recorded before runs carried one.
 */
export async function configOfRun(run: { config: unknown; trigger: { repo: { owner: string; name: string } } }, octokit: GitHubClient): Promise<RepoConfigResult> {
  if (run.config !== null && run.config !== undefined) return parseRepoConfig(run.config);
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

export function configErrorMessage(problems: string[]): string {
  return [`Switchyard could not use \`${REPO_CONFIG_PATH}\`, so nothing was started:`, '', ...problems.map((p) => `- ${p}`), '', 'Fix the file and add the label again.'].join('\n');
}

/** The priority a run gets from its issue's labels: the most urgent configured label present. */
export function priorityOf(labels: readonly string[], priorities: readonly string[], fallback: number): number {
  const lower = labels.map((l) => l.toLowerCase());
  const index = priorities.findIndex((p) => lower.includes(p.toLowerCase()));
  return index === -1 ? fallback : index;
}
