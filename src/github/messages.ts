/** What a trigger that starts nothing is answered with, on the issue. */
import type { AgentCatalogue } from '../config/agents.ts';
import { agentKeyName, type RepoConfig } from '../config/repo.ts';

export function unknownAgentMessage(
  label: string,
  agents: AgentCatalogue,
  config?: Pick<RepoConfig, 'agents'>,
): string {
  const names = new Set([...Object.keys(agents), ...Object.keys(config?.agents ?? {}).map(agentKeyName)]);
  const known = [...names]
    .sort()
    .map((name) => `\`agent:${name}\``)
    .join(', ');
  return `\`${label}\` does not name an agent that this Switchyard runs, so nothing was started.\n\nAgents that exist: ${known}.`;
}

/** The repository maps the label to an agent the operator does not run. */
export function unmappedAgentMessage(label: string, agent: string, agents: AgentCatalogue): string {
  const known = Object.keys(agents)
    .sort()
    .map((name) => `\`${name}\``)
    .join(', ');
  return `\`.github/switchyard.yml\` maps \`${label}\` to the agent \`${agent}\`, which this Switchyard does not run, so nothing was started.\n\nAgents it runs: ${known}.`;
}

export function refusalMessage(sender: string, label: string, permission: string): string {
  return `@${sender}, only people with write access to this repository can start an agent. Your access here is \`${permission}\`, so \`${label}\` started nothing.`;
}
