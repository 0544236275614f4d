/** A run trigger for tests that write runs to a store without GitHub: repository `o/r`, the patch agent. */
import type { RunTrigger } from '../../src/domain/run.ts';

export function storeTrigger(issue: number, title: string): RunTrigger {
  return {
    deliveryId: `delivery-${issue}`,
    installationId: 1,
    sender: 'octocat',
    label: 'agent:patch',
    agent: 'patch',
    repo: { owner: 'o', name: 'r', fullName: 'o/r', cloneUrl: 'http://example.invalid/o/r.git', defaultBranch: 'main' },
    issue: {
      number: issue,
      title,
      body: '',
      labels: [],
      url: `http://example.invalid/o/r/issues/${issue}`,
      author: 'octocat',
    },
  };
}
