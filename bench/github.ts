/**
 * GitHub REST requests per issue for a successful run, from the trigger to the merged pull
 * request, counted by the twin: only the app's own requests (as the installation or as the app),
 * not the maintainer's. Last line: JSON with `requests_per_issue` and a breakdown by endpoint.
 */
import { newFileDiff } from '../test/support/git.ts';
import { addLabel, eventually, openIssue, startStack, statusShowing } from '../test/support/stack.ts';

const ISSUES = Number(process.env.BENCH_ISSUES ?? 5);
const stack = await startStack({ concurrency: ISSUES });
try {
  const { twin, gh, owner, repo } = stack;
  const before = twin.requests.length;
  const issues: number[] = [];
  for (let i = 1; i <= ISSUES; i++) issues.push(await openIssue(stack, `Add page ${i}`, `\`\`\`diff\n${newFileDiff(`docs/page-${i}.md`, [`# Page ${i}`])}\`\`\`\n`));
  for (const issue of issues) await addLabel(stack, issue, 'agent:patch');
  for (const issue of issues) await statusShowing(stack, issue, 'Succeeded', 60_000);
  const { data: pulls } = await gh.rest.pulls.list({ owner, repo, state: 'open', per_page: 100 });
  for (const pull of pulls) await gh.rest.pulls.merge({ owner, repo, pull_number: pull.number });
  await eventually(async () => {
    const { data } = await gh.rest.issues.listForRepo({ owner, repo, state: 'closed', per_page: 100 });
    return issues.every((n) => data.some((i) => i.number === n)) ? true : undefined;
  }, 30_000, 'issues closed by their merged pull requests');
  await twin.idle();
  // Let any follow-up (plans after the merges) finish before counting.
  await new Promise((resolve) => setTimeout(resolve, 2000));

  const appRequests = twin.requests.slice(before).filter((r) => r.actor === 'app' || r.actor === 'switchyard[bot]');
  const byEndpoint: Record<string, number> = {};
  for (const request of appRequests) byEndpoint[request.operationId ?? request.path] = (byEndpoint[request.operationId ?? request.path] ?? 0) + 1;
  const sorted = Object.fromEntries(Object.entries(byEndpoint).sort((a, b) => b[1] - a[1]));
  console.log(`${appRequests.length} requests by the app for ${ISSUES} issues`);
  console.log(JSON.stringify({ issues: ISSUES, requests: appRequests.length, requests_per_issue: Number((appRequests.length / ISSUES).toFixed(2)), by_endpoint: sorted, violations: twin.violations.length }));
} finally {
  await stack.stop();
}
