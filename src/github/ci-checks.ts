/**
 * The CI of a commit as GitHub has it (check runs and commit statuses), what the agent of a
 * round is told about the failures, and what people read of the rounds: a section of the pull
 * request's body and lines of the status comment.
 */
import { isFailingConclusion, type CheckRound, type CiChecks, type FailingCheck } from '../domain/ci-checks.ts';
import type { PromptComment, RepoRef } from '../domain/run.ts';
import { withSection } from './body-section.ts';
import { repoParams, type GitHubClient } from './client.ts';

/** How much of one check's output the agent gets: its end, where test runners print failures. */
const OUTPUT_TAIL = 4_000;
const MAX_ANNOTATIONS = 20;

/** A failing check with what it printed, for the prompt. */
interface FailureDetail {
  check: FailingCheck;
  app: string | undefined;
  text: string | undefined;
  annotations: string[];
  url: string | undefined;
}

export interface CommitCi {
  failing: FailingCheck[];
  pending: boolean;
  /** Failing check runs by name, for their output. */
  runIds: Map<string, number>;
  apps: Map<string, string>;
  urls: Map<string, string>;
}

/** Reads the newest check run of each name and the combined status of a commit (or a branch). */
export async function readCommitCi(octokit: GitHubClient, repo: RepoRef, ref: string): Promise<CommitCi> {
  const params = { ...repoParams(repo), ref, per_page: 100 };
  const runs = await octokit.paginate(octokit.rest.checks.listForRef, { ...params, filter: 'latest' as const });
  const combined = (await octokit.rest.repos.getCombinedStatusForRef(params)).data;
  const ci: CommitCi = { failing: [], pending: false, runIds: new Map(), apps: new Map(), urls: new Map() };
  for (const run of runs) {
    if (run.status !== 'completed') ci.pending = true;
    else if (isFailingConclusion(run.conclusion)) {
      const summary = [run.output.title, run.output.summary].filter(Boolean).join(': ');
      ci.failing.push({ name: run.name, kind: 'check-run', conclusion: run.conclusion ?? 'failure', summary });
      ci.runIds.set(run.name, run.id);
      if (run.app?.slug) ci.apps.set(run.name, run.app.slug);
      const url = run.details_url ?? run.html_url;
      if (url) ci.urls.set(run.name, url);
    }
  }
  for (const status of combined.statuses) {
    if (status.state === 'pending') ci.pending = true;
    else if (status.state === 'failure' || status.state === 'error') {
      ci.failing.push({
        name: status.context,
        kind: 'status',
        conclusion: status.state,
        summary: status.description ?? '',
      });
      if (status.target_url) ci.urls.set(status.context, status.target_url);
    }
  }
  return ci;
}

/** The output and annotations of the failing checks, read for the agent of a round. */
export async function failureDetails(
  octokit: GitHubClient,
  repo: RepoRef,
  ci: CommitCi,
  checks: readonly FailingCheck[],
): Promise<FailureDetail[]> {
  return Promise.all(
    checks.map(async (check) => {
      const id = ci.runIds.get(check.name);
      const detail: FailureDetail = {
        check,
        app: ci.apps.get(check.name),
        text: undefined,
        annotations: [],
        url: ci.urls.get(check.name),
      };
      if (check.kind !== 'check-run' || id === undefined) return detail;
      const { data: run } = await octokit.rest.checks.get({ ...repoParams(repo), check_run_id: id });
      detail.text = run.output.text ? tail(run.output.text, OUTPUT_TAIL) : undefined;
      if ((run.output.annotations_count ?? 0) > 0) {
        const { data: annotations } = await octokit.rest.checks.listAnnotations({
          ...repoParams(repo),
          check_run_id: id,
          per_page: MAX_ANNOTATIONS,
        });
        detail.annotations = annotations.map(
          (a) =>
            `${a.path}:${a.start_line}${a.end_line !== a.start_line ? `-${a.end_line}` : ''} ${a.annotation_level ?? 'failure'}: ${a.title ? `${a.title}: ` : ''}${a.message ?? ''}`,
        );
      }
      return detail;
    }),
  );
}

function tail(text: string, max: number): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/**
 * What the agent of a round is told: which checks failed on which head, and what they printed.
 * It is CI output, which the pull request's own code (and so issue text) could steer: it goes
 * into the prompt as untrusted text, fenced, with hidden parts removed, like a comment.
 */
export function failureContext(input: {
  pullRequest: number;
  head: string;
  round: number;
  maxRounds: number;
  details: readonly FailureDetail[];
}): PromptComment {
  const names = input.details.map((d) => `\`${d.check.name}\``).join(', ');
  const parts = [
    `This is round ${input.round} of ${input.maxRounds} of fixing failing checks. The checkout is the head of pull request #${input.pullRequest} (${input.head.slice(0, 7)}), with this issue's change already made.`,
    `CI reported ${names} failing on it. Change the code so that ${input.details.length === 1 ? 'it passes' : 'they pass'}; keep the issue's change, and do not weaken or skip the checks.`,
  ];
  for (const detail of input.details) {
    parts.push('', `## ${detail.check.name} (${detail.check.conclusion})`);
    if (detail.check.summary) parts.push(detail.check.summary);
    if (detail.annotations.length > 0) parts.push('', 'Annotations:', ...detail.annotations.map((a) => `- ${a}`));
    if (detail.text) parts.push('', 'Output (last part):', detail.text);
  }
  const app = input.details.find((d) => d.app)?.app;
  return { author: app ? `${app}[bot]` : 'ci', body: parts.join('\n') };
}

const RESULT: Record<CheckRound['result'], string> = {
  running: '⏳ checks running',
  passed: '✅ checks pass',
  failed: '❌ still failing',
  'no-change': '⚠️ no fix pushed',
};

function names(list: readonly string[]): string {
  return list.map((name) => `\`${name.replace(/`/g, "'")}\``).join(', ');
}

/** One line per round, and the sentence. */
export function ciLines(ci: CiChecks): string[] {
  const icon = ci.action === 'fixing' ? '🛠️' : ci.action === 'none' ? (ci.state === 'passing' ? '✔️' : '❌') : '⚠️';
  const lines = [`${icon} ${ci.said}`];
  for (const round of ci.rounds) {
    const pushed = round.head ? ` → ${round.head.slice(0, 7)}${round.changed ? ` (${round.changed})` : ''}` : '';
    lines.push(
      `- Round ${round.round}: ${names(round.fixing)} on ${round.from.slice(0, 7)}${pushed}: ${RESULT[round.result]}`,
    );
  }
  return lines;
}

/** The pull request's body with its checks section put in (or replaced), at the end. */
export function withChecksSection(body: string, ci: CiChecks): string {
  return withSection(body, 'checks', 'Failing checks', ciLines(ci));
}

/** The sentences of each decision. */
export const ciSaying = {
  fixing: (checks: readonly FailingCheck[], head: string, round: number, max: number) =>
    `${names(checks.map((c) => c.name))} failed on ${head.slice(0, 7)}: the agent is fixing ${checks.length === 1 ? 'it' : 'them'} (round ${round} of ${max}).`,
  passed: (rounds: number) =>
    rounds === 0
      ? 'All checks pass.'
      : `All checks pass after ${rounds === 1 ? 'round 1' : `${rounds} rounds`} of fixes by the agent.`,
  spent: (checks: readonly FailingCheck[], max: number) =>
    `${names(checks.map((c) => c.name))} still ${checks.length === 1 ? 'fails' : 'fail'} after ${max === 1 ? 'the one round' : `${max} rounds`} of fixes Switchyard may make (\`pullRequest.fixFailingChecks: ${max}\`), so it stops here. Comment \`/agent retry\` with what to change to have the agent try again.`,
  notOurs: (checks: readonly string[], base: string) =>
    `${names(checks)} ${checks.length === 1 ? 'fails' : 'fail'} on \`${base}\` too: not this pull request's to fix, so Switchyard leaves ${checks.length === 1 ? 'it' : 'them'} alone.`,
  pushed: (round: number, head: string) =>
    `Round ${round} of fixes pushed ${head.slice(0, 7)}; Switchyard reads the checks on it once CI has run them.`,
  noChange: (round: number, fixing: readonly string[], state: string) =>
    `Round ${round} of fixes for ${names(fixing)} ${state === 'succeeded' ? 'changed no file' : `ended ${state.replace('_', ' ')}`}, so Switchyard stops here. Comment \`/agent retry\` with what to change to have the agent try again.`,
  budget: (checks: readonly FailingCheck[], reason: string) =>
    `${names(checks.map((c) => c.name))} failed, and Switchyard will not run the agent again: ${reason}. Comment \`/agent retry\` once it may.`,
};
