/**
 * A batch that has to merge: N feature issues, each adding its module and editing the shared
 * sorted index and changelog (`pullRequest.unionMerge: [CHANGELOG.md]`), labelled together. A
 * maintainer then merges (squash) the first pull request GitHub calls mergeable, waits until
 * every other one is mergeable again (or handed to a person), and merges the next; no git work
 * by hand. Measured per merge: how long each affected pull request took from the base push to
 * mergeable again, by how Switchyard got it there (a replay of its commit, or an agent re-run).
 *
 * BENCH_ISSUES (8). Last line: JSON with merged_of_n, replay and re-run seconds (p50, p95),
 * agent re-runs and rebases per merged pull request.
 */
import { featureAgents, featureRepo, fileOn, index } from '../test/support/feature-work.ts';
import { addLabel, eventually, openIssue, startStack, statusShowing } from '../test/support/stack.ts';

const ISSUES = Number(process.env.BENCH_ISSUES ?? 8);
const NAMES = ['auth', 'cache', 'json', 'mail', 'pdf', 'queue', 'retry', 'stream', 'xml', 'yaml', 'zip', 'zlib'];
const modules = NAMES.slice(0, ISSUES);
const stack = await startStack({
  concurrency: 3,
  agents: featureAgents,
  files: featureRepo('pullRequest:\n  unionMerge: [CHANGELOG.md]\nchecks:\n  - sh scripts/check-index.sh\n'),
});
const params = { owner: stack.owner, repo: stack.repo };

const quantile = (values: number[], q: number) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2));
};

interface OpenPull {
  number: number;
  issue: number;
  head: string;
}

async function openPulls(issues: number[]): Promise<OpenPull[]> {
  const { data } = await stack.gh.rest.pulls.list({ ...params, state: 'open', sort: 'created', direction: 'asc' });
  return data
    .map((pull) => ({
      number: pull.number,
      issue: Number(/Closes #(\d+)/.exec(pull.body ?? '')?.[1]),
      head: pull.head.sha,
    }))
    .filter((pull) => issues.includes(pull.issue));
}

async function mergeable(number: number): Promise<boolean> {
  const { data } = await stack.gh.rest.pulls.get({ ...params, pull_number: number });
  return data.state === 'open' && data.mergeable === true;
}

/**
 * What Switchyard says of the issue's pull request when it will not become mergeable by itself
 * for now: handed to a person, or waiting for an older sibling it collides with to merge first.
 */
async function heldBack(issue: number): Promise<'handed-off' | 'waiting' | undefined> {
  const last = (await stack.store.listRuns()).filter((run) => run.issueNumber === issue).at(-1);
  if (!last) return undefined;
  if (last.state !== 'succeeded' && last.state !== 'running' && last.state !== 'queued') return 'handed-off';
  const action = last.mergeability?.action;
  return action === 'handed-off' || action === 'waiting' ? action : undefined;
}

try {
  const issues: number[] = [];
  for (const module of modules)
    issues.push(await openIssue(stack, `Add ${module} support`, `Module: ${module}\n\nPlease add it.`));
  const labelledAt = Date.now();
  for (const issue of issues) await addLabel(stack, issue, 'agent:feature');
  for (const issue of issues) await statusShowing(stack, issue, 'Succeeded', 180_000);
  const batchSeconds = (Date.now() - labelledAt) / 1000;

  const replaySeconds: number[] = [];
  const rerunSeconds: number[] = [];
  let rebases = 0;
  let waits = 0;
  const merged: number[] = [];
  const stuck = new Set<number>();
  while (merged.length + stuck.size < issues.length) {
    const open = (await openPulls(issues)).filter((pull) => !stuck.has(pull.issue));
    let next: OpenPull | undefined;
    for (const pull of open) {
      if (await mergeable(pull.number)) {
        next = pull;
        break;
      }
    }
    if (!next) {
      // Nothing mergeable: whatever Switchyard handed off stays so.
      for (const pull of open) if ((await heldBack(pull.issue)) === 'handed-off') stuck.add(pull.issue);
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    const pushedAt = Date.now();
    await stack.gh.rest.pulls.merge({ ...params, pull_number: next.number, merge_method: 'squash' });
    merged.push(next.issue);
    const others = open.filter((pull) => pull.number !== next.number);
    // GitHub computes `mergeable` lazily: the first read after the push starts it.
    for (const pull of others) await mergeable(pull.number);
    await Promise.all(
      others.map(async (pull) => {
        const outcome = await eventually(
          async () => ((await mergeable(pull.number)) ? 'mergeable' : heldBack(pull.issue)),
          180_000,
          `#${pull.number} mergeable again, or held back`,
        );
        const seconds = (Date.now() - pushedAt) / 1000;
        if (outcome === 'handed-off') return stuck.add(pull.issue);
        // Repaired after the older sibling it waits for merges: timed from that push.
        if (outcome === 'waiting') return waits++;
        const { data } = await stack.gh.rest.pulls.get({ ...params, pull_number: pull.number });
        if (data.head.sha === pull.head) return; // it still merged as it was
        rebases++;
        const rerun = (await stack.store.listRuns()).some(
          (run) =>
            run.issueNumber === pull.issue && run.trigger.kind === 'repair' && run.createdAt.getTime() >= pushedAt,
        );
        (rerun ? rerunSeconds : replaySeconds).push(seconds);
      }),
    );
  }
  const runs = (await stack.store.listRuns()).filter((run) => issues.includes(run.issueNumber));
  const reruns = runs.filter((run) => run.trigger.kind === 'repair').length;
  const indexText = await fileOn(stack, 'src/index.ts');
  const complete = indexText === index([...modules, 'core', 'http', 'util'].sort());
  const result = {
    n: issues.length,
    merged_of_n: merged.length,
    handed_to_a_person: stuck.size,
    main_index_complete: complete,
    batch_seconds: Number(batchSeconds.toFixed(1)),
    replay_seconds_p50: quantile(replaySeconds, 0.5),
    replay_seconds_p95: quantile(replaySeconds, 0.95),
    replays: replaySeconds.length,
    rerun_seconds_p50: quantile(rerunSeconds, 0.5),
    rerun_seconds_p95: quantile(rerunSeconds, 0.95),
    agent_reruns: reruns,
    agent_reruns_per_merged: Number((reruns / Math.max(1, merged.length)).toFixed(2)),
    rebases_per_merged: Number((rebases / Math.max(1, merged.length)).toFixed(2)),
    waits_for_an_older_sibling: waits,
  };
  console.log(`merged ${merged.length} of ${issues.length}; replays ${replaySeconds.length}, agent re-runs ${reruns}`);
  console.log(JSON.stringify(result));
} finally {
  await stack.stop();
}
