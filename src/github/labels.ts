/**
 * The labels Switchyard uses, created with colours and descriptions where they are missing: the
 * `agent:*` labels a maintainer adds, and the status labels that follow a run. Done when the app
 * is installed and again on first use in a repository (or when the set changed).
 */
import { createHash } from 'node:crypto';
import type { AgentCatalogue } from '../config/agents.ts';
import { agentKeyName, type RepoConfig, type StatusLabelNames } from '../config/repo.ts';
import type { GitHubRecords } from '../store/github-records.ts';
import type { RepoRef } from '../domain/run.ts';
import { statusOf, type GitHubClient } from './client.ts';
import { AGENT_LABEL_PREFIX } from './trigger.ts';

export interface LabelSpec {
  name: string;
  color: string;
  description: string;
}

const STATUS_LABELS: Record<keyof StatusLabelNames, { color: string; description: string }> = {
  queued: {
    color: 'fbca04',
    description: 'Switchyard: the agent run is queued and waits (for its dependencies, a limit or a free slot)',
  },
  running: { color: '1d76db', description: 'Switchyard: an agent is working on this issue' },
  done: { color: '0e8a16', description: 'Switchyard: the agent run succeeded' },
  failed: { color: 'd93f0b', description: 'Switchyard: the agent run failed; see the status comment' },
};

/** GitHub caps a label description at 100 characters. */
const clip = (text: string) => (text.length > 100 ? `${text.slice(0, 99)}…` : text);

export function labelSpecs(agents: AgentCatalogue, config: Pick<RepoConfig, 'agents' | 'statusLabels'>): LabelSpec[] {
  const specs = new Map<string, LabelSpec>();
  for (const [name, agent] of Object.entries(agents)) {
    specs.set(`${AGENT_LABEL_PREFIX}${name}`, {
      name: `${AGENT_LABEL_PREFIX}${name}`,
      color: '5319e7',
      description: clip(agent.description ?? `Switchyard runs the ${name} agent on this issue`),
    });
  }
  for (const [key, mapping] of Object.entries(config.agents)) {
    const name = `${AGENT_LABEL_PREFIX}${agentKeyName(key)}`;
    specs.set(name, {
      name,
      color: '5319e7',
      description: clip(`Switchyard runs the ${mapping.agent} agent on this issue`),
    });
  }
  if (config.statusLabels) {
    for (const [state, label] of Object.entries(config.statusLabels) as Array<[keyof StatusLabelNames, string]>) {
      specs.set(label, { name: label, ...STATUS_LABELS[state] });
    }
  }
  return [...specs.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Creates the labels of `specs` that the repository lacks; existing labels are left as the
 * maintainers styled them. Skipped when this set was already ensured for the repository.
 */
export async function ensureLabels(
  octokit: GitHubClient,
  repo: Pick<RepoRef, 'owner' | 'name' | 'fullName'>,
  specs: readonly LabelSpec[],
  records: GitHubRecords,
): Promise<string[]> {
  const hash = createHash('sha256').update(JSON.stringify(specs)).digest('hex');
  if ((await records.labelsHash(repo.fullName)) === hash) return [];
  const params = { owner: repo.owner, repo: repo.name };
  const existing = new Set(
    (await octokit.paginate(octokit.rest.issues.listLabelsForRepo, { ...params, per_page: 100 })).map((l) =>
      l.name.toLowerCase(),
    ),
  );
  const created: string[] = [];
  for (const spec of specs) {
    if (existing.has(spec.name.toLowerCase())) continue;
    try {
      await octokit.rest.issues.createLabel({ ...params, ...spec });
      created.push(spec.name);
    } catch (error) {
      // Created meanwhile by someone else.
      if (statusOf(error) !== 422) throw error;
    }
  }
  await records.saveLabelsHash(repo.fullName, hash);
  return created;
}
