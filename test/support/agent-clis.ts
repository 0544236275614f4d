/**
 * The real agent CLIs for the contract tests and the agents benchmark: where they are (the path
 * in SWITCHYARD_<NAME>_BIN, or where `.ci/run` installs them: /opt/switchyard-agents, else
 * .ci/agents; or the project's own node_modules), and how each is pointed at a scripted model server.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { agentDefinition, type AgentDefinition } from '../../src/config/agents.ts';
import { checkSandbox, type SandboxSpec } from '../../src/runner/sandbox.ts';

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
  const found =
    fromEnv ??
    PREFIXES.map((prefix) => resolve(join(prefix, 'node_modules', ENTRIES[name]))).find((path) => existsSync(path));
  if (!found)
    console.warn(`${name} CLI is not installed (.ci/run installs it from the npm registry); its tests are skipped`);
  return found;
}

/** What keeps Claude Code quiet and local: no telemetry, no update checks, no error reports. */
const CLAUDE_OFFLINE = {
  DISABLE_TELEMETRY: '1',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
  DISABLE_ERROR_REPORTING: '1',
};

/**
 * The preset agent `name` at `executable`, pointed at a scripted model server at `modelUrl`, as an
 * operator would point it at a gateway; `extra` adds to the definition (a budget, a timeout).
 */
export function scriptedAgent(
  name: AgentCli,
  executable: string,
  modelUrl: string,
  extra: Record<string, unknown> = {},
): AgentDefinition {
  const definitions: Record<AgentCli, Record<string, unknown>> = {
    claude: {
      kind: 'claude',
      env: { ANTHROPIC_BASE_URL: modelUrl, ANTHROPIC_API_KEY: 'sk-ant-scripted', ...CLAUDE_OFFLINE },
    },
    // A custom provider, over HTTP: Codex tries no WebSocket with it.
    codex: {
      kind: 'codex',
      model: 'scripted',
      args: [
        '-c',
        'model_provider="gateway"',
        '-c',
        `model_providers.gateway={ name = "gateway", base_url = "${modelUrl}/v1", env_key = "OPENAI_API_KEY", wire_api = "responses" }`,
      ],
      env: { OPENAI_API_KEY: 'sk-scripted' },
    },
    // An explicit model: without one the CLI first asks a router model that the scripted server does not play.
    gemini: {
      kind: 'gemini',
      model: 'gemini-2.5-flash',
      env: { GOOGLE_GEMINI_BASE_URL: modelUrl, GEMINI_API_KEY: 'scripted-key' },
    },
    // opencode's bundled Anthropic provider, pointed at the scripted server.
    opencode: {
      kind: 'opencode',
      model: 'anthropic/claude-sonnet-4-5',
      env: {
        OPENCODE_CONFIG_CONTENT: JSON.stringify({
          provider: { anthropic: { options: { baseURL: `${modelUrl}/v1`, apiKey: 'sk-ant-scripted' } } },
        }),
        OPENCODE_DISABLE_MODELS_FETCH: 'true',
      },
    },
  };
  return agentDefinition.parse({ ...definitions[name], executable, ...extra });
}

/**
 * The sandbox an operator gets by default, where bubblewrap works here. A CLI runs unsandboxed
 * only where it does not, or where the CLI is installed under /tmp, which the sandbox covers (a
 * note says so).
 */
export async function defaultSandbox(dataDir: string, executable: string): Promise<SandboxSpec> {
  if (executable.startsWith(`${tmpdir()}/`)) {
    console.warn(`${executable} is under ${tmpdir()}, which the sandbox covers; it runs unsandboxed`);
    return { kind: 'none', dataDir, secretFiles: [] };
  }
  try {
    return { kind: 'bubblewrap', dataDir, secretFiles: [], ...(await checkSandbox('bubblewrap', { dataDir })) };
  } catch (error) {
    console.warn(`bubblewrap does not work here (${(error as Error).message}); the CLIs run unsandboxed`);
    return { kind: 'none', dataDir, secretFiles: [] };
  }
}
