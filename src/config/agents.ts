/**
 * The operator's agent catalogue: which agents exist and the exact command of each.
 * Repositories choose among these; they cannot add executables.
 */
import bytes from 'bytes';
import { parseDuration } from '../domain/duration.ts';
import { z } from 'zod';
import { PRESET_NAMES } from '../agents/presets.ts';
import { DEFAULT_LIMITS, type ResourceLimits } from '../domain/limits.ts';

/** A duration given as milliseconds or as text such as `90s`, `10m`, `1h`. */
export const duration = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const parsed = parseDuration(value);
  if (parsed === undefined || parsed <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (try 90s, 10m or 1h)` });
    return z.NEVER;
  }
  return parsed;
});

/** An agent that prints nothing and changes no file for this long is stalled, unless it says otherwise. */
export const DEFAULT_STALL_TIMEOUT = 10 * 60 * 1000;

/** Names Switchyard keeps to itself: an agent may never be handed these. */
export const RESERVED_ENVIRONMENT = [
  'APP_ID',
  'PRIVATE_KEY',
  'PRIVATE_KEY_PATH',
  'WEBHOOK_SECRET',
  'DATABASE_URL',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'GITHUB_CLIENT_SECRET',
  'CLIENT_SECRET',
] as const;

const environmentName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
  .refine((name) => !(RESERVED_ENVIRONMENT as readonly string[]).includes(name) && !name.startsWith('SWITCHYARD_'), {
    message: "is one of Switchyard's own credentials or settings and is never passed to an agent",
  });

/** A size: bytes, or text such as `512MB`, `4GiB`, `200 MiB`. */
export const size = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const parsed = bytes.parse(value.replace(/iB$/i, 'B'));
  if (parsed === null || !Number.isFinite(parsed) || parsed <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a size (try 512MiB or 4GiB)` });
    return z.NEVER;
  }
  return Math.round(parsed);
});

/** What one run of the agent (and each of its checks) may use; unset ones keep the defaults. */
const resourceLimits = z
  .object({
    /** Memory of the agent and everything it starts (default 4GiB). */
    memory: size.optional(),
    /** Processes at once (default 512): a fork bomb is refused its forks, and stopped. */
    processes: z.number().int().min(8).max(100_000).optional(),
    /** CPUs' worth of time (default 2). */
    cpu: z.number().positive().max(256).optional(),
    /** What it may print (default 200MiB); past it, it is stopped. */
    output: size.optional(),
    /** How much its worktree may grow on disk (default 2GiB); past it, it is stopped. */
    worktree: size.optional(),
  })
  .strict();

const common = {
  /** How long the agent may run before its process tree is ended. */
  timeout: duration.default(30 * 60 * 1000),
  /** How long the agent may go without printing anything or changing a file before it is ended as stalled (default 10 min). */
  stallTimeout: duration.optional(),
  /** Variables copied from Switchyard's environment into the agent's, such as a model API key. */
  passEnv: z.array(environmentName).default([]),
  /** Fixed variables for the agent. */
  env: z.record(environmentName, z.string()).default({}),
  description: z.string().optional(),
  /** Memory, processes, CPU, output and worktree growth of one run: past one, the agent is stopped and its work kept. */
  limits: resourceLimits.optional(),
  /** US dollars one run may cost; a run that reaches it is stopped and its work kept. Needs an agent that reports cost. */
  maxCostPerRun: z.number().positive().optional(),
  /** US dollars the agent may spend in a UTC day across repositories; then its runs wait for the next day. */
  maxCostPerDay: z.number().positive().optional(),
  /**
   * The agent's network, in the sandbox: `open`, `none` (loopback only), or `{ allow: [hosts] }`
   * (only through Switchyard's proxy, to these hosts; `*.example.com` for subdomains). Unset:
   * SWITCHYARD_AGENT_NETWORK.
   */
  network: z
    .union([
      z.enum(['open', 'none']),
      z
        .object({
          allow: z.array(z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'must be a host name, or *.domain')).min(1),
        })
        .strict(),
    ])
    .optional(),
};

export const agentDefinition = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('patch'), ...common }).strict(),
  z
    .object({
      kind: z.literal('command'),
      /** argv; the first element is the executable. Never run through a shell by Switchyard. */
      command: z.array(z.string().min(1)).min(1),
      ...common,
    })
    .strict(),
  // A preset: the agent's own non-interactive command line (see src/agents/presets.ts).
  z
    .object({
      kind: z.enum(PRESET_NAMES),
      model: z.string().min(1).optional(),
      /** Extra arguments for the agent's command line. */
      args: z.array(z.string()).default([]),
      /** The executable, when it is not on PATH under its usual name. */
      executable: z.string().min(1).optional(),
      ...common,
    })
    .strict(),
]);

export type AgentDefinition = z.infer<typeof agentDefinition>;

export const agentName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,49}$/, 'agent names are lowercase letters, digits, ".", "_" and "-"');

export const agentCatalogue = z.record(agentName, agentDefinition);

export type AgentCatalogue = Record<string, AgentDefinition>;

/** What every installation has without configuration: the built-in `patch` agent. */
export const DEFAULT_AGENTS: AgentCatalogue = {
  patch: agentDefinition.parse({
    kind: 'patch',
    timeout: '5m',
    description: 'applies the unified diff in the issue body',
  }),
};

/** An agent's limits, with the defaults that protect a shared worker where it sets none. */
export function limitsOf(agent: AgentDefinition): ResourceLimits {
  const set = agent.limits ?? {};
  return {
    memoryBytes: set.memory ?? DEFAULT_LIMITS.memoryBytes,
    processes: set.processes ?? DEFAULT_LIMITS.processes,
    cpus: set.cpu ?? DEFAULT_LIMITS.cpus,
    outputBytes: set.output ?? DEFAULT_LIMITS.outputBytes,
    worktreeBytes: set.worktree ?? DEFAULT_LIMITS.worktreeBytes,
  };
}
