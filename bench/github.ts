/**
 * GitHub REST requests per issue for a successful run, from the trigger to the merged pull
 * request, counted by the twin: only the app's own requests (as the installation or as the app),
 * not the maintainer's. Last line: JSON with `requests_per_issue` and a breakdown by endpoint.
 *
 * BENCH_ISSUES (5), BENCH_AGENT_SECONDS (0: the patch agent), BENCH_STATUS_INTERVAL (3s) and
 * BENCH_STATUS_LABELS (on; `off` writes `statusLabels: false` to the repository's config);
 * BENCH_TRACE=1 also prints each counted request, in order, with its status.
 */
import { newFileDiff, pushFiles } from '../test/support/git.ts';
import { addLabel, eventually, openIssue, startStack, statusShowing } from '../test/support/stack.ts';

const ISSUES = Number(process.env.BENCH_ISSUES ?? 5);
// 0: the patch agent (a run of well under a second); N: an agent that works for N seconds, so
// that every state (queued, running, done) lasts longer than the status interval.
const AGENT_SECONDS = Number(process.env.BENCH_AGENT_SECONDS ?? 0);
const agent = AGENT_SECONDS > 0 ? 'timed' : 'patch';
const stack = await startStack({
  concurrency: ISSUES,
  env: { SWITCHYARD_STATUS_INTERVAL: process.env.BENCH_STATUS_INTERVAL ?? '3s' },
  agents: {
    timed: {
      kind: 'command',
      command: [
        'sh',
        '-c',
        `sleep ${AGENT_SECONDS}; git apply "$SWITCHYARD_ISSUE_BODY_FILE" 2>/dev/null || echo "$SWITCHYARD_ISSUE_NUMBER" > "done-$SWITCHYARD_ISSUE_NUMBER.txt"`,
      ],
      timeout: 600_000,
      passEnv: [],
      env: {},
    },
  },
});
const appRequest = (r: { actor: string | undefined }) => r.actor === 'app' || r.actor === 'switchyard[bot]';
try {
  const { twin, gh, owner, repo } = stack;
  if (process.env.BENCH_STATUS_LABELS === 'off')
    await pushFiles(twin, owner, repo, { '.github/switchyard.yml': 'statusLabels: false\n' });
  // Installing the app sets the repository up (its labels): counted apart, it is not per issue.
  const installation = [...twin.state.installations.values()].find((i) => i.account.login === owner);
  twin.announceInstallation(installation?.id ?? 0);
  const expected = process.env.BENCH_STATUS_LABELS === 'off' ? 0 : 4;
  await eventually(
    async () => {
      const { data } = await gh.rest.issues.listLabelsForRepo({ owner, repo, per_page: 100 });
      return data.some((l) => l.name === `agent:${agent}`) &&
        data.filter((l) => l.name.startsWith('switchyard:')).length === expected
        ? true
        : undefined;
    },
    30_000,
    'labels set up',
  );
  await twin.idle();
  // The set-up job records what it ensured just after its last request.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const setupRequests = twin.requests.filter(appRequest).length;
  const before = twin.requests.length;
  const issues: number[] = [];
  for (let i = 1; i <= ISSUES; i++)
    issues.push(
      await openIssue(
        stack,
        `Add page ${i}`,
        `\`\`\`diff\n${newFileDiff(`docs/page-${i}.md`, [`# Page ${i}`])}\`\`\`\n`,
      ),
    );
  for (const issue of issues) await addLabel(stack, issue, `agent:${agent}`);
  for (const issue of issues) await statusShowing(stack, issue, 'Succeeded', 60_000 + AGENT_SECONDS * 1000);
  const { data: pulls } = await gh.rest.pulls.list({ owner, repo, state: 'open', per_page: 100 });
  for (const pull of pulls) await gh.rest.pulls.merge({ owner, repo, pull_number: pull.number });
  await eventually(
    async () => {
      const { data } = await gh.rest.issues.listForRepo({ owner, repo, state: 'closed', per_page: 100 });
      return issues.every((n) => data.some((i) => i.number === n)) ? true : undefined;
    },
    30_000,
    'issues closed by their merged pull requests',
  );
  for (const issue of issues) await statusShowing(stack, issue, 'Merged', 30_000);
  await twin.idle();
  // Let any follow-up (plans after the merges) finish before counting.
  await new Promise((resolve) => setTimeout(resolve, 2000));

  const appRequests = twin.requests.slice(before).filter(appRequest);
  const byEndpoint: Record<string, number> = {};
  for (const request of appRequests)
    byEndpoint[request.operationId ?? request.path] = (byEndpoint[request.operationId ?? request.path] ?? 0) + 1;
  if (process.env.BENCH_TRACE) for (const r of appRequests) console.log(r.method, r.path, r.status);
  const sorted = Object.fromEntries(Object.entries(byEndpoint).sort((a, b) => b[1] - a[1]));
  console.log(`${appRequests.length} requests by the app for ${ISSUES} issues`);
  console.log(
    JSON.stringify({
      issues: ISSUES,
      agent_seconds: AGENT_SECONDS,
      status_labels: process.env.BENCH_STATUS_LABELS !== 'off',
      requests: appRequests.length,
      requests_per_issue: Number((appRequests.length / ISSUES).toFixed(2)),
      by_endpoint: sorted,
      setup_requests: setupRequests,
      violations: twin.violations.length,
    }),
  );
} finally {
  await stack.stop();
}
