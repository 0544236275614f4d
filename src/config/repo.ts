/**
 * Repository settings: `.github/switchyard.yml`, read through Probot's config plugin (so
 * `_extends` from an organization's `.github` repository works) and validated with zod. An
 * invalid file is reported with the key path and the problem; nothing runs.
 */
import { parseDuration } from '../domain/duration.ts';
import { LruMap } from 'toad-cache';
import { z } from 'zod';

export const REPO_CONFIG_PATH = '.github/switchyard.yml';

/** A duration of zero or more: `0`, `500ms`, `10s`, `2m`, or milliseconds. */
const window = z.union([z.number().int().min(0), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const parsed = parseDuration(value);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (try 0, 10s or 2m)` });
    return z.NEVER;
  }
  return parsed;
});

/** Placeholders a pull request title template may use. */
export const TITLE_PLACEHOLDERS = ['title', 'number', 'agent'] as const;

const titleTemplate = z
  .string()
  .min(1)
  .max(200)
  .superRefine((value, ctx) => {
    for (const [, name] of value.matchAll(/\{([^}]*)\}/g)) {
      if (!(TITLE_PLACEHOLDERS as readonly string[]).includes(name ?? '')) {
        ctx.addIssue({
          code: 'custom',
          message: `"{${name ?? ''}}" is not a placeholder (use ${TITLE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`,
        });
      }
    }
  });

const labelName = z.string().min(1).max(50);

/** A path or gitattributes pattern for one line of an attributes file: no spaces, quotes or comments. */
const unionPath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s"#!\\]+$/, 'must be a path or pattern without spaces, quotes, `#`, `!` or backslashes');

/** Which operator agent a label runs, with text added to the prompt: `fix: claude` or `fix: { agent: claude, prompt: … }`. */
const agentMapping = z
  .union(
    [z.string().min(1), z.object({ agent: z.string().min(1), prompt: z.string().max(16_000).optional() }).strict()],
    {
      error: 'must name an operator agent (`fix: claude`) or be `{ agent, prompt }`',
    },
  )
  .transform((value) => (typeof value === 'string' ? { agent: value, prompt: undefined } : value));

export const STATUS_LABEL_DEFAULTS = {
  queued: 'switchyard:queued',
  running: 'switchyard:running',
  done: 'switchyard:done',
  failed: 'switchyard:failed',
} as const;

export type StatusLabelNames = Record<keyof typeof STATUS_LABEL_DEFAULTS, string>;

export const repoConfigSchema = z
  .object({
    /** Label → operator agent: `agent:<key>` runs `agent`, with `prompt` added to its prompt. */
    agents: z.record(z.string().min(1).max(50), agentMapping).default({}),
    /** Text added to every prompt in this repository (conventions, commands to run, …). */
    prompt: z.string().max(16_000).optional(),
    batching: z.object({ window: window.optional() }).strict().default({}),
    /** Runs at once in this repository. */
    concurrency: z.number().int().min(1).max(64).optional(),
    dependencies: z
      .object({ release: z.enum(['merged', 'stacked']).default('merged') })
      .strict()
      .default({ release: 'merged' }),
    limits: z
      .object({
        maxOpenPullRequests: z.number().int().min(1).nullable().default(null),
        runsPerHour: z.number().int().min(1).nullable().default(null),
        /** US dollars one run in this repository may cost. */
        maxCostPerRun: z.number().positive().nullable().default(null),
        /** US dollars this repository's runs may spend in a UTC day; then its runs wait for the next day. */
        maxCostPerDay: z.number().positive().nullable().default(null),
      })
      .strict()
      .default({ maxOpenPullRequests: null, runsPerHour: null, maxCostPerRun: null, maxCostPerDay: null }),
    /** Commands run after the agent, in the worktree and sandbox: `npm ci`, `npm test`, … */
    checks: z
      .union(
        [
          z.array(z.string().min(1)).max(20),
          z.object({ commands: z.array(z.string().min(1)).max(20), timeout: window.optional() }).strict(),
        ],
        {
          error: 'must be a list of commands, or `{ commands, timeout }`',
        },
      )
      .default([])
      .transform((value) =>
        Array.isArray(value)
          ? { commands: value, timeoutMs: undefined }
          : { commands: value.commands, timeoutMs: value.timeout },
      ),
    /** A dashboard issue (Renovate-style) that lists this repository's runs, with a box to retry each recent failure. */
    dashboard: z.boolean().default(false),
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
    pullRequest: z
      .object({
        /** `when-checks-fail`: a draft when a configured check failed, ready for review otherwise. */
        draft: z.enum(['always', 'never', 'when-checks-fail']).default('never'),
        labels: z.array(labelName).max(20).default([]),
        /** Ask for a review from the issue's author and/or the person who added the label. */
        reviewers: z
          .array(z.enum(['author', 'labeller']))
          .max(2)
          .default([]),
        title: titleTemplate.default('{title}'),
        /**
         * When a pull request's base moves: bring it up to date only when it conflicts (the
         * default: every needless rebase costs a CI run), also when it is merely behind, or never.
         */
        update: z.enum(['conflicting', 'behind', 'never']).default('conflicting'),
        /** Agent re-runs a pull request may get to resolve conflicts a three-way merge cannot. */
        maxRepairs: z.number().int().min(0).max(10).default(2),
        /** Files merged with git's union driver (both sides' lines kept), such as a changelog. */
        unionMerge: z.array(unionPath).max(50).default([]),
        /**
         * Rounds of agent fixes a pull request may get when a check of its head fails on the
         * repository's CI (0: Switchyard does not watch its CI).
         */
        fixFailingChecks: z.number().int().min(0).max(10).default(0),
      })
      .strict()
      .default({
        draft: 'never',
        labels: [],
        reviewers: [],
        title: '{title}',
        update: 'conflicting',
        maxRepairs: 2,
        unionMerge: [],
        fixFailingChecks: 0,
      }),
    /** Status labels that follow the run: `false` turns them off; names can be changed. */
    statusLabels: z
      .union([
        z.boolean(),
        z.object({ queued: labelName, running: labelName, done: labelName, failed: labelName }).partial().strict(),
      ])
      .default(true)
      .transform((value): StatusLabelNames | null =>
        value === false ? null : { ...STATUS_LABEL_DEFAULTS, ...(value === true ? {} : value) },
      ),
    /** Label names that set a run's priority, most urgent (0) first. */
    priorities: z
      .array(z.string().min(1))
      .min(1)
      .max(10)
      .default(['priority:P0', 'priority:P1', 'priority:P2', 'priority:P3']),
  })
  .strict();

export type RepoConfig = z.infer<typeof repoConfigSchema>;

/** What a repository without `.github/switchyard.yml` gets. */
export function defaultRepoConfig(): RepoConfig {
  return repoConfigSchema.parse({});
}

/** `raw` is the file as read (before defaults), kept with a run so later readers validate the same text. */
export type RepoConfigResult = { ok: true; config: RepoConfig; raw: unknown } | { ok: false; problems: string[] };

/** Validates a parsed file; each problem names its key path. */
/** Stored configs already validated, by their text: each one is parsed once per process. */
const storedConfigs = new LruMap<RepoConfigResult>(256);

/**
 * The config a run carries (as the intake read and validated it), parsed once per process for
 * each distinct file: the plan, run and report jobs read it on every pass.
 */
export function storedConfigOf(run: { config: unknown }): RepoConfigResult {
  const key = JSON.stringify(run.config ?? {});
  const known = storedConfigs.get(key);
  if (known) return known;
  const parsed = parseRepoConfig(run.config ?? {});
  storedConfigs.set(key, parsed);
  return parsed;
}

export function parseRepoConfig(raw: unknown): RepoConfigResult {
  const result = repoConfigSchema.safeParse(raw ?? {});
  if (result.success) return { ok: true, config: result.data, raw: raw ?? {} };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => `\`${path ? `${path}.` : ''}${k}\``).join(', ');
        return `${keys} ${issue.keys.length === 1 ? 'is not a setting' : 'are not settings'} Switchyard knows (see schema/switchyard.schema.json)`;
      }
      return `${path ? `\`${path}\`: ` : ''}${issue.message}`;
    }),
  };
}

/** The agent name an `agents` key stands for: `fix` and `agent:fix` both mean the label `agent:fix`. */
export function agentKeyName(key: string): string {
  return key
    .replace(/^agent:/i, '')
    .trim()
    .toLowerCase();
}

/** The operator agent a trigger's label runs in this repository, with the repository's prompt additions. */
export function resolveAgent(labelAgent: string, config: RepoConfig): { agent: string; prompt: string | undefined } {
  const mapping = Object.entries(config.agents).find(([key]) => agentKeyName(key) === labelAgent);
  return mapping
    ? { agent: mapping[1].agent.toLowerCase(), prompt: mapping[1].prompt }
    : { agent: labelAgent, prompt: undefined };
}

/** A pull request title from the repository's template. */
export function renderTitle(template: string, values: { title: string; number: number; agent: string }): string {
  return template.replace(/\{(title|number|agent)\}/g, (_, name: 'title' | 'number' | 'agent') => String(values[name]));
}

export function configErrorMessage(problems: string[]): string {
  return [
    `Switchyard could not use \`${REPO_CONFIG_PATH}\`, so nothing was started:`,
    '',
    ...problems.map((p) => `- ${p}`),
    '',
    'Fix the file and add the label again.',
  ].join('\n');
}

/** The priority a run gets from its issue's labels: the most urgent configured label present. */
export function priorityOf(labels: readonly string[], priorities: readonly string[], fallback: number): number {
  const lower = labels.map((l) => l.toLowerCase());
  const index = priorities.findIndex((p) => lower.includes(p.toLowerCase()));
  return index === -1 ? fallback : index;
}
