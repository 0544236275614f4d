/** The dashboard's rounds of fixes for failing checks: counted by outcome on the overview, listed on a run's page. */
import type { RoundResult } from '../../domain/ci-checks.ts';
import type { RunRecord } from '../../domain/run.ts';
import { escapeHtml } from './html.ts';

const OUTCOME: Record<RoundResult, string> = {
  passed: 'checks pass after it',
  failed: 'still failing after it',
  'no-change': 'no fix pushed',
  running: 'under way',
};

/** How the rounds of the shown runs ended, by outcome; nothing when there were none. */
export function roundsOverviewSection(runs: readonly RunRecord[]): string {
  const counts = new Map<RoundResult, number>();
  for (const run of runs) {
    if (run.trigger.kind !== 'checks') continue;
    const result = run.ciChecks?.rounds[run.checkRounds - 1]?.result ?? 'running';
    counts.set(result, (counts.get(result) ?? 0) + 1);
  }
  if (counts.size === 0) return '';
  const rows = (Object.keys(OUTCOME) as RoundResult[])
    .filter((result) => counts.has(result))
    .map((result) => `<tr><td>${OUTCOME[result]}</td><td data-outcome="${result}">${counts.get(result)}</td></tr>`)
    .join('');
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return `<section id="check-rounds"><h2>Rounds of fixes for failing checks</h2><p class="muted">${total} round${total === 1 ? '' : 's'} among these runs.</p><table><tr><th>outcome</th><th>rounds</th></tr>${rows}</table></section>`;
}

/** A run's pull request CI and its rounds, on the run's page. */
export function roundsRunSection(run: RunRecord): string {
  const ci = run.ciChecks;
  if (!ci) return '';
  const rows = ci.rounds
    .map(
      (round) =>
        `<tr><td>${round.round}</td><td>${escapeHtml(round.fixing.join(', '))}</td><td>${round.from.slice(0, 7)}</td><td>${round.head ? round.head.slice(0, 7) : ''}</td><td>${escapeHtml(round.changed ?? '')}</td><td>${OUTCOME[round.result]}</td></tr>`,
    )
    .join('');
  const table = rows
    ? `<table><tr><th>round</th><th>fixing</th><th>on</th><th>pushed</th><th>changed</th><th>outcome</th></tr>${rows}</table>`
    : '';
  return `<section id="ci"><h2>Pull request checks</h2><p>${escapeHtml(ci.said)}</p>${table}</section>`;
}
