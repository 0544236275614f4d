/**
 * What an agent reports about its own run, read from its output: its final message and what it
 * used (tokens, turns, cost). Claude Code's `--output-format json` ends with one result object
 * (`result`, `usage`, `num_turns`, `total_cost_usd`); Gemini CLI's with one object with `stats`;
 * Codex and opencode print JSON events line by line, which are read as they come, so a run's
 * cost is known while it runs.
 */
import { formatUsd } from '../scheduler/budget.ts';
import type { AgentOutput } from './presets.ts';
import type { AgentUsage } from '../domain/run.ts';

export interface AgentReport {
  summary: string | undefined;
  usage: AgentUsage | undefined;
  /** The agent stopped itself at the budget it was given (Claude Code's --max-budget-usd). */
  overBudget?: boolean | undefined;
}

const count = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;

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
    const result = parsed as {
      subtype?: unknown;
      result?: unknown;
      num_turns?: unknown;
      total_cost_usd?: unknown;
      usage?: Record<string, unknown>;
    };
    const usage = result.usage ?? {};
    return {
      summary: typeof result.result === 'string' ? result.result : undefined,
      overBudget: typeof result.subtype === 'string' && result.subtype.includes('budget'),
      usage: {
        inputTokens:
          count(usage.input_tokens) + count(usage.cache_creation_input_tokens) + count(usage.cache_read_input_tokens),
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
  const result = parsed as {
    response?: unknown;
    stats?: {
      models?: Record<
        string,
        { api?: { totalRequests?: unknown }; tokens?: { prompt?: unknown; candidates?: unknown } }
      >;
    };
  };
  const models = Object.values(result.stats?.models ?? {});
  return {
    summary: typeof result.response === 'string' ? result.response : undefined,
    usage:
      models.length === 0
        ? undefined
        : {
            inputTokens: models.reduce((sum, m) => sum + count(m.tokens?.prompt), 0),
            outputTokens: models.reduce((sum, m) => sum + count(m.tokens?.candidates), 0),
            turns: models.reduce((sum, m) => sum + count(m.api?.totalRequests), 0),
            costUsd: undefined,
          },
  };
}

/** A reader of JSON events, one per line, that keeps a running total. */
abstract class JsonLines {
  #partial = '';

  push(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    // A line longer than this is a tool's output, never an event that counts: it is not kept.
    if (this.#partial.length > 4 * 1024 * 1024) this.#partial = '';
    for (const line of lines) this.#line(line);
  }

  #line(line: string): void {
    if (!line.startsWith('{')) return;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof event === 'object' && event !== null) this.event(event as Record<string, unknown>);
  }

  protected abstract event(event: Record<string, unknown>): void;

  finish(): void {
    this.push('\n');
  }
}

/** Codex `exec --json`: each `turn.completed` carries the turn's token usage. */
class CodexEvents extends JsonLines {
  input = 0;
  output = 0;
  seen = false;

  protected event(event: Record<string, unknown>): void {
    if (event.type !== 'turn.completed') return;
    const usage = (event.usage ?? {}) as Record<string, unknown>;
    this.seen = true;
    this.input += count(usage.input_tokens);
    this.output += count(usage.output_tokens);
  }
}

/** opencode `run --format json`: each `step_finish` carries its tokens and cost; `text` parts are its messages. */
class OpencodeEvents extends JsonLines {
  input = 0;
  output = 0;
  cost = 0;
  steps = 0;
  lastText: string | undefined;
  #stepText: string[] = [];

  protected event(event: Record<string, unknown>): void {
    const part = (event.part ?? {}) as Record<string, unknown>;
    if (event.type === 'step_start') this.#stepText = [];
    if (event.type === 'text' && typeof part.text === 'string') {
      this.#stepText.push(part.text);
      this.lastText = this.#stepText.join('\n\n');
    }
    if (event.type !== 'step_finish') return;
    const tokens = (part.tokens ?? {}) as {
      input?: unknown;
      output?: unknown;
      cache?: { read?: unknown; write?: unknown };
    };
    this.steps += 1;
    this.input += count(tokens.input) + count(tokens.cache?.read) + count(tokens.cache?.write);
    this.output += count(tokens.output);
    this.cost += count(part.cost);
  }
}

/**
 * Reads an agent's standard output as it comes and says what it reported: its cost so far (for a
 * budget) and, at the end, its final message and usage.
 */
export interface ReportReader {
  push(chunk: string): void;
  /** What the agent has reported spending so far, in US dollars, where it reports cost as it goes. */
  costSoFar(): number | undefined;
  /** The report, once the agent has ended; `stdoutTail` is the end of its standard output. */
  report(stdoutTail: string): AgentReport | undefined;
}

/** A reader for the kind of output a preset asks for. */
export function reportReader(output: AgentOutput | undefined): ReportReader {
  if (output === 'codex-jsonl') {
    const events = new CodexEvents();
    return {
      push: (chunk) => events.push(chunk),
      costSoFar: () => undefined,
      report: () => {
        events.finish();
        return events.seen
          ? { summary: undefined, usage: { inputTokens: events.input, outputTokens: events.output } }
          : undefined;
      },
    };
  }
  if (output === 'opencode-jsonl') {
    const events = new OpencodeEvents();
    return {
      push: (chunk) => events.push(chunk),
      costSoFar: () => events.cost,
      report: () => {
        events.finish();
        if (events.steps === 0 && events.lastText === undefined) return undefined;
        return {
          summary: events.lastText,
          usage: { inputTokens: events.input, outputTokens: events.output, turns: events.steps, costUsd: events.cost },
        };
      },
    };
  }
  const parse = output === 'claude-json' ? parseClaudeResult : output === 'gemini-json' ? parseGeminiResult : undefined;
  return { push: () => undefined, costSoFar: () => undefined, report: (stdoutTail) => parse?.(stdoutTail) };
}

/** One line for a comment or a pull request: `1,234 tokens in, 56 out · 3 turns · $0.0123`. */
export function describeUsage(usage: AgentUsage): string {
  const parts = [
    `${usage.inputTokens.toLocaleString('en-US')} tokens in, ${usage.outputTokens.toLocaleString('en-US')} out`,
  ];
  if (usage.turns !== undefined) parts.push(`${usage.turns} turn${usage.turns === 1 ? '' : 's'}`);
  if (usage.costUsd !== undefined) parts.push(formatUsd(usage.costUsd));
  return parts.join(' · ');
}
