/**
 * Where the real agent CLIs are for the contract tests and the agents benchmark: the path in
 * SWITCHYARD_<NAME>_BIN, or where `.ci/run` installs them (/opt/switchyard-agents, else
 * .ci/agents), or the project's own node_modules.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ENTRIES = {
  claude: '@anthropic-ai/claude-code/bin/claude.exe',
  codex: '@openai/codex/bin/codex.js',
  gemini: '@google/gemini-cli/bundle/gemini.js',
  opencode: 'opencode-ai/bin/opencode.exe',
} as const;

export type AgentCli = keyof typeof ENTRIES;

const PREFIXES = ['/opt/switchyard-agents', '.ci/agents', '.'];

/** The CLI's executable, or undefined (with a note on stderr) when it is not installed. */
export function agentCli(name: AgentCli): string | undefined {
  const fromEnv = process.env[`SWITCHYARD_${name.toUpperCase()}_BIN`];
  const found = fromEnv ?? PREFIXES.map((prefix) => resolve(join(prefix, 'node_modules', ENTRIES[name]))).find((path) => existsSync(path));
  if (!found) console.warn(`${name} CLI is not installed (.ci/run installs it from the npm registry); its tests are skipped`);
  return found;
}
