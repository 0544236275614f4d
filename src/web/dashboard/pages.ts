/**
 * The dashboard's pages as HTML. Pure: records in, markup out. Every piece of text from GitHub or
 * an agent is escaped; the pages carry no third-party script or style.
 */
import { describeUsage } from '../../agents/report.ts';
import { formatDuration } from '../../domain/duration.ts';
import { LIVE_STATES, type RunRecord, type RunState } from '../../domain/run.ts';
import { stepsSection } from './steps.ts';
import { escapeHtml } from './html.ts';
import { roundsOverviewSection, roundsRunSection } from './check-rounds.ts';
import type { WorkerRecord } from '../../store/observability.ts';
import { assignLanes, layoutGraph } from './layout.ts';

const COLOURS: Record<RunState, string> = {
  queued: '#8c959f',
  waiting: '#bf8700',
  running: '#0969da',
  succeeded: '#1a7f37',
  failed: '#cf222e',
  timed_out: '#bc4c00',
  stalled: '#8250df',
  over_limit: '#cf222e',
  cancelled: '#57606a',
};

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:center}
header a{color:#fff}
main{padding:16px 20px;max-width:1200px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px;margin-bottom:16px}
h1{font-size:18px;margin:0}h2{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
.state{display:inline-block;padding:0 8px;border-radius:10px;color:#fff;font-size:12px}
.muted{color:#57606a}pre{background:#0d1117;color:#e6edf3;padding:12px;overflow:auto;max-height:60vh;white-space:pre-wrap;word-break:break-all}
svg text{font:12px system-ui,sans-serif}
`;

export function page(title: string, body: string, options: { refreshSeconds?: number; viewer?: string } = {}): string {
  const refresh = options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : '';
  const signOut = options.viewer
    ? `<form method="post" action="/dashboard/logout" style="margin-left:auto"><span id="viewer">Signed in as ${escapeHtml(options.viewer)}</span> <button>Sign out</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">${refresh}<title>${escapeHtml(title)} · Switchyard</title><style>${STYLE}</style></head><body><header><h1><a href="/dashboard">Switchyard</a></h1><span>${escapeHtml(title)}</span>${signOut}</header><main>${body}</main></body></html>`;
}

export function loginPage(ways: { token: boolean; github: boolean }, problem: string | undefined): string {
  const note = problem ? `<p role="alert" style="color:#cf222e">${escapeHtml(problem)}</p>` : '';
  const github = ways.github
    ? '<p><a id="github-sign-in" href="/dashboard/login/github">Sign in with GitHub</a>: you see the repositories you can read.</p>'
    : '';
  const token = ways.token
    ? '<form method="post" action="/dashboard/login"><label>Operator token <input type="password" name="token" autocomplete="current-password" required></label> <button>Sign in</button></form>'
    : '';
  return page(
    'Sign in',
    `<section><h2>Sign in</h2><p class="muted">The dashboard shows runs, their logs and their costs.</p>${note}${github}${token}</section>`,
  );
}

export function stateBadge(state: RunState): string {
  return `<span class="state" style="background:${COLOURS[state]}">${state.replace('_', ' ')}</span>`;
}

const ago = (date: Date, now: Date) => `${formatDuration(Math.max(0, now.getTime() - date.getTime()))} ago`;
const runLink = (run: RunRecord) =>
  `<a href="/dashboard/runs/${encodeURIComponent(run.id)}">${escapeHtml(run.repo)}#${run.issueNumber}</a>`;

function workersSection(workers: readonly WorkerRecord[], now: Date): string {
  const rows = workers.map(
    (w) =>
      `<tr><td>${escapeHtml(w.id)}</td><td>${escapeHtml(w.roles)}</td><td>${w.running} of ${w.slots}</td><td>${ago(w.heartbeatAt, now)}</td><td>${ago(w.startedAt, now)}</td></tr>`,
  );
  const table =
    rows.length > 0
      ? `<table><tr><th>worker</th><th>roles</th><th>running</th><th>heartbeat</th><th>started</th></tr>${rows.join('')}</table>`
      : '<p class="muted">No worker has sent a heartbeat in the last 30 s.</p>';
  return `<section id="workers"><h2>Workers</h2>${table}</section>`;
}

function queueSection(runs: readonly RunRecord[], now: Date): string {
  const live = runs.filter((r) => LIVE_STATES.includes(r.state));
  const rows = live.map((run) => {
    const why =
      run.state === 'running'
        ? run.progress
          ? `last output: <code>${escapeHtml(run.progress)}</code>`
          : 'running'
        : run.state === 'waiting'
          ? escapeHtml(run.waitingReason ?? 'waiting')
          : run.dispatchedAt
            ? 'handed to a worker'
            : 'queued: waits for the batch to be planned or a free slot';
    const since =
      run.state === 'running' && run.startedAt
        ? `running for ${formatDuration(now.getTime() - run.startedAt.getTime())}`
        : `queued ${ago(run.createdAt, now)}`;
    return `<tr><td>${runLink(run)}</td><td>${escapeHtml(run.trigger.issue.title)}</td><td>${escapeHtml(run.agent)}</td><td>${stateBadge(run.state)}</td><td>${why}</td><td>${since}</td></tr>`;
  });
  const table =
    rows.length > 0
      ? `<table><tr><th>issue</th><th>title</th><th>agent</th><th>state</th><th>why</th><th>since</th></tr>${rows.join('')}</table>`
      : '<p class="muted">Nothing is queued, waiting or running.</p>';
  return `<section id="queue"><h2>Queue and running runs</h2>${table}</section>`;
}

/** The live runs of each repository (or its latest batch) as a dependency graph. */
function graphSection(runs: readonly RunRecord[]): string {
  const byRepo = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const latestBatch = runs.find((r) => r.repo === run.repo)?.batchId;
    if (!LIVE_STATES.includes(run.state) && run.batchId !== latestBatch) continue;
    // One node per issue: its newest run.
    const list = byRepo.get(run.repo) ?? [];
    if (!list.some((r) => r.issueNumber === run.issueNumber)) list.push(run);
    byRepo.set(run.repo, list);
  }
  const pictures = [...byRepo].map(([repo, list]) => {
    const positions = layoutGraph(list.map((r) => ({ issue: r.issueNumber, dependsOn: r.dependsOn })));
    const x = (column: number) => 20 + column * 170;
    const y = (row: number) => 20 + row * 50;
    const width = Math.max(...[...positions.values()].map((p) => x(p.column))) + 160;
    const height = Math.max(...[...positions.values()].map((p) => y(p.row))) + 50;
    const edges = list.flatMap((run) =>
      run.dependsOn
        .filter((d) => positions.has(d))
        .map((d) => {
          const from = positions.get(d) ?? { column: 0, row: 0 };
          const to = positions.get(run.issueNumber) ?? { column: 0, row: 0 };
          return `<line x1="${x(from.column) + 140}" y1="${y(from.row) + 15}" x2="${x(to.column)}" y2="${y(to.row) + 15}" stroke="#8c959f" marker-end="url(#arrow)"/>`;
        }),
    );
    const nodes = list.map((run) => {
      const p = positions.get(run.issueNumber) ?? { column: 0, row: 0 };
      return `<a href="/dashboard/runs/${encodeURIComponent(run.id)}"><rect x="${x(p.column)}" y="${y(p.row)}" width="140" height="30" rx="6" fill="${COLOURS[run.state]}"/><text x="${x(p.column) + 8}" y="${y(p.row) + 19}" fill="#fff">#${run.issueNumber} ${escapeHtml(run.state.replace('_', ' '))}</text><title>${escapeHtml(run.trigger.issue.title)}</title></a>`;
    });
    return `<h3>${escapeHtml(repo)}</h3><svg role="img" aria-label="dependency graph of ${escapeHtml(repo)}" width="${width}" height="${height}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#8c959f"/></marker></defs>${edges.join('')}${nodes.join('')}</svg>`;
  });
  return `<section id="graph"><h2>Dependencies</h2>${pictures.length > 0 ? pictures.join('') : '<p class="muted">No batch to show.</p>'}</section>`;
}

/** Runs of the last day in lanes (slots) against time: a Gantt chart. */
function timelineSection(runs: readonly RunRecord[], now: Date): string {
  const started = runs.filter((r) => r.startedAt);
  if (started.length === 0)
    return '<section id="timeline"><h2>Timeline</h2><p class="muted">No run has started in the last day.</p></section>';
  const timed = started.map((r) => ({ id: r.id, start: r.startedAt?.getTime() ?? 0, end: r.finishedAt?.getTime() }));
  const lanes = assignLanes(timed, now.getTime());
  const from = Math.min(...timed.map((t) => t.start));
  const to = Math.max(now.getTime(), from + 1000);
  const width = 1000;
  const scale = (t: number) => 60 + ((t - from) / (to - from)) * (width - 80);
  const laneCount = Math.max(...lanes.values()) + 1;
  const bars = started.map((run) => {
    const lane = lanes.get(run.id) ?? 0;
    const x1 = scale(run.startedAt?.getTime() ?? from);
    const x2 = Math.max(x1 + 3, scale(run.finishedAt?.getTime() ?? now.getTime()));
    return `<a href="/dashboard/runs/${encodeURIComponent(run.id)}"><rect x="${x1.toFixed(1)}" y="${10 + lane * 30}" width="${(x2 - x1).toFixed(1)}" height="22" rx="3" fill="${COLOURS[run.state]}"/><text x="${(x1 + 4).toFixed(1)}" y="${25 + lane * 30}" fill="#fff">#${run.issueNumber}</text><title>${escapeHtml(`${run.repo}#${run.issueNumber} ${run.state}`)}</title></a>`;
  });
  const labels = Array.from(
    { length: laneCount },
    (_, lane) => `<text x="4" y="${25 + lane * 30}" class="muted">slot ${lane + 1}</text>`,
  );
  const axis = `<text x="60" y="${laneCount * 30 + 24}">${from ? new Date(from).toISOString().slice(11, 19) : ''} UTC</text><text x="${width - 90}" y="${laneCount * 30 + 24}">${now.toISOString().slice(11, 19)} UTC</text>`;
  return `<section id="timeline"><h2>Timeline</h2><svg role="img" aria-label="timeline of runs per slot" width="${width}" height="${laneCount * 30 + 34}">${labels.join('')}${bars.join('')}${axis}</svg></section>`;
}

function recentSection(runs: readonly RunRecord[]): string {
  const finished = runs.filter((r) => !LIVE_STATES.includes(r.state)).slice(0, 50);
  const rows = finished.map((run) => {
    const duration =
      run.startedAt && run.finishedAt ? formatDuration(run.finishedAt.getTime() - run.startedAt.getTime()) : '';
    const pr = run.pullRequestUrl
      ? `<a href="${escapeHtml(run.pullRequestUrl)}">#${run.pullRequestNumber ?? ''}</a>`
      : '';
    return `<tr><td>${runLink(run)}</td><td>${escapeHtml(run.agent)}</td><td>${stateBadge(run.state)}</td><td>${duration}</td><td>${run.usage ? escapeHtml(describeUsage(run.usage)) : ''}</td><td>${pr}</td></tr>`;
  });
  const table =
    rows.length > 0
      ? `<table><tr><th>issue</th><th>agent</th><th>state</th><th>took</th><th>usage</th><th>pull request</th></tr>${rows.join('')}</table>`
      : '<p class="muted">No run has finished in the last day.</p>';
  return `<section id="recent"><h2>Finished in the last day</h2>${table}</section>`;
}

export function overviewPage(data: {
  runs: readonly RunRecord[];
  workers: readonly WorkerRecord[];
  now: Date;
  viewer: string;
}): string {
  return page(
    'Runs',
    [
      workersSection(data.workers, data.now),
      queueSection(data.runs, data.now),
      graphSection(data.runs),
      timelineSection(data.runs, data.now),
      recentSection(data.runs),
      roundsOverviewSection(data.runs),
    ].join(''),
    { refreshSeconds: 5, viewer: data.viewer },
  );
}

export interface RunPageData {
  run: RunRecord;
  attempts: ReadonlyArray<{ attempt: number; worker: string; outcome: string | null }>;
  now: Date;
  viewer: string;
  /** The viewer may cancel and retry (write access, signed in with GitHub). */
  mayAct?: boolean;
  /** An action just asked for, to confirm. */
  done?: 'cancel' | 'retry' | undefined;
}

export function runPage({ run, attempts, now, viewer, mayAct, done }: RunPageData): string {
  const live = LIVE_STATES.includes(run.state);
  const facts: Array<[string, string]> = [
    [
      'issue',
      `<a href="${escapeHtml(run.trigger.issue.url)}">${escapeHtml(run.repo)}#${run.issueNumber}</a> ${escapeHtml(run.trigger.issue.title)}`,
    ],
    [
      'state',
      `${stateBadge(run.state)} ${escapeHtml((run.state === 'waiting' ? run.waitingReason : run.reason) ?? '')}`,
    ],
    ['agent', `${escapeHtml(run.agent)}, attempt ${run.attempt}`],
    [
      'asked by',
      `${escapeHtml(run.trigger.sender)} (${run.trigger.kind === 'retry' ? '/agent retry' : escapeHtml(run.trigger.label)})`,
    ],
    [
      'branch',
      `<code>${escapeHtml(run.branch)}</code>${run.baseBranch ? ` from <code>${escapeHtml(run.baseBranch)}</code>` : ''}`,
    ],
  ];
  if (run.startedAt)
    facts.push([
      'time',
      `${run.finishedAt ? 'took' : 'running for'} ${formatDuration((run.finishedAt ?? now).getTime() - run.startedAt.getTime())} (started ${run.startedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC)`,
    ]);
  if (run.pullRequestUrl)
    facts.push([
      'pull request',
      `<a href="${escapeHtml(run.pullRequestUrl)}">#${run.pullRequestNumber ?? ''}</a>${run.pullRequestState ? ` (${escapeHtml(run.pullRequestState)})` : ''}`,
    ]);
  if (run.usage) facts.push(['usage', escapeHtml(describeUsage(run.usage))]);
  if (run.diffStat)
    facts.push(['changes', `+${run.diffStat.insertions} −${run.diffStat.deletions} in ${run.diffStat.files} files`]);
  if (run.rescuedBranch) facts.push(['rescued work', `<code>${escapeHtml(run.rescuedBranch)}</code>`]);
  const factTable = `<table>${facts.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`;
  const action = `/dashboard/runs/${encodeURIComponent(run.id)}`;
  const button = live
    ? `<form method="post" action="${action}/cancel"><button id="cancel">Cancel this run</button></form>`
    : run.pullRequestState === 'merged'
      ? ''
      : `<form method="post" action="${action}/retry"><button id="retry">Retry</button> <span class="muted">a new attempt on the same branch, as <code>/agent retry</code></span></form>`;
  const confirmation = done
    ? `<p role="status">${done === 'cancel' ? 'Cancel asked for; the run stops within a few seconds.' : 'Retry asked for; the new attempt shows on the issue and here.'}</p>`
    : '';
  const actions = mayAct ? `${confirmation}${button}` : '';
  const attemptRows = attempts
    .map(
      (a) =>
        `<tr><td>${a.attempt}</td><td>${escapeHtml(a.worker)}</td><td>${escapeHtml(a.outcome ?? 'running')}</td></tr>`,
    )
    .join('');
  const checks = run.checks
    .map(
      (c) =>
        `<tr><td><code>${escapeHtml(c.command)}</code></td><td>${c.passed ? 'passed' : c.timedOut ? 'timed out' : 'failed'}</td><td>${formatDuration(c.durationMs)}</td></tr>`,
    )
    .join('');
  const steps = stepsSection(run.steps);
  const summary = run.summary
    ? `<section id="summary"><h2>What the agent reported</h2><pre>${escapeHtml(run.summary)}</pre></section>`
    : '';
  // The log streams in over server-sent events; the page reloads once when the run ends.
  const script = `<script>
const log = document.getElementById('log');
const source = new EventSource(location.pathname + '/log');
source.addEventListener('chunk', (e) => { const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 20; log.textContent += JSON.parse(e.data); if (atEnd) log.scrollTop = log.scrollHeight; });
source.addEventListener('end', () => { source.close(); if (${live ? 'true' : 'false'}) location.reload(); });
</script>`;
  return page(
    `${run.repo}#${run.issueNumber}`,
    `<section id="run"><h2>Run ${escapeHtml(run.id)}</h2>${factTable}${actions}</section>${summary}<section id="attempts"><h2>Attempts</h2><table><tr><th>attempt</th><th>worker</th><th>outcome</th></tr>${attemptRows}</table></section>${checks ? `<section id="checks"><h2>Checks</h2><table>${checks}</table></section>` : ''}${roundsRunSection(run)}${steps}<section id="log-section"><h2>Log</h2><pre id="log" aria-label="run log"></pre></section>${script}`,
    { viewer },
  );
}
