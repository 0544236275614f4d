/**
 * What an agent reports about its own run, read from its output: its final message and what it
 * used (tokens, turns, cost). Claude Code's `--output-format json` ends with one result object
 * (`result`, `usage`, `num_turns`, `total_cost_usd`).
 */

export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  /** Conversation turns, where the agent counts them. */
  turns?: number | undefined;
  /** In US dollars, at the provider's list price, where the agent reports it. */
  costUsd?: number | undefined;
}

export interface AgentReport {
  summary: string | undefined;
  usage: AgentUsage | undefined;
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);

/** The result object at the end of Claude Code's JSON output, if there is one. */
export function parseClaudeResult(stdout: string): AgentReport | undefined {
  const start = stdout.lastIndexOf('{"type":"result"');
  const candidates = start >= 0 ? [stdout.slice(start)] : stdout.trim().split('\n').reverse();
  for (const text of candidates) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.trim());
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || (parsed as { type?: unknown }).type !== 'result') continue;
    const result = parsed as { result?: unknown; num_turns?: unknown; total_cost_usd?: unknown; usage?: Record<string, unknown> };
    const usage = result.usage ?? {};
    return {
      summary: typeof result.result === 'string' ? result.result : undefined,
      usage: {
        inputTokens: count(usage.input_tokens) + count(usage.cache_creation_input_tokens) + count(usage.cache_read_input_tokens),
        outputTokens: count(usage.output_tokens),
        turns: typeof result.num_turns === 'number' ? result.num_turns : undefined,
        costUsd: typeof result.total_cost_usd === 'number' ? result.total_cost_usd : undefined,
      },
    };
  }
  return undefined;
}

/** Gemini CLI's `--output-format json`: `response`, and per-model `stats` of requests and tokens. */
export function parseGeminiResult(stdout: string): AgentReport | undefined {
  const start = stdout.indexOf('{');
  if (start < 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.slice(start));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const result = parsed as { response?: unknown; stats?: { models?: Record<string, { api?: { totalRequests?: unknown }; tokens?: { prompt?: unknown; candidates?: unknown } }> } };
  const models = Object.values(result.stats?.models ?? {});
  return {
    summary: typeof result.response === 'string' ? result.response : undefined,
    usage: models.length === 0 ? undefined : {
      inputTokens: models.reduce((sum, m) => sum + count(m.tokens?.prompt), 0),
      outputTokens: models.reduce((sum, m) => sum + count(m.tokens?.candidates), 0),
      turns: models.reduce((sum, m) => sum + count(m.api?.totalRequests), 0),
      costUsd: undefined,
    },
  };
}

/** What an agent's output reports, by the kind of output its preset asks for. */
export function parseReport(output: string | undefined, stdout: string): AgentReport | undefined {
  if (output === 'claude-json') return parseClaudeResult(stdout);
  if (output === 'gemini-json') return parseGeminiResult(stdout);
  return undefined;
}

/** One line for a comment or a pull request: `1,234 tokens in, 56 out · 3 turns · $0.0123`. */
export function describeUsage(usage: AgentUsage): string {
  const parts = [`${usage.inputTokens.toLocaleString('en-US')} tokens in, ${usage.outputTokens.toLocaleString('en-US')} out`];
  if (usage.turns !== undefined) parts.push(`${usage.turns} turn${usage.turns === 1 ? '' : 's'}`);
  if (usage.costUsd !== undefined) parts.push(`$${usage.costUsd < 1 ? usage.costUsd.toFixed(4) : usage.costUsd.toFixed(2)}`);
  return parts.join(' · ');
}
