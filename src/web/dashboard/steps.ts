/** The run page's "Where the time went": each step of a run, its time and its share. */
import { RUN_STEPS, overheadMs, type StepTimings } from '../../domain/steps.ts';

/** Where a run's time went, step by step, with each step's share of the whole. */
export function stepsSection(steps: StepTimings | null): string {
  if (!steps) return '';
  const total = RUN_STEPS.reduce((sum, step) => sum + (steps[step] ?? 0), 0);
  const rows = RUN_STEPS.filter((step) => steps[step] !== undefined)
    .map((step) => {
      const ms = steps[step] ?? 0;
      const share = total > 0 ? Math.round((ms / total) * 100) : 0;
      return `<tr><td>${step}</td><td>${ms} ms</td><td>${share}%</td></tr>`;
    })
    .join('');
  return `<section id="steps"><h2>Where the time went</h2><table><tr><th>step</th><th>time</th><th>share</th></tr>${rows}<tr><th>besides the agent</th><td>${overheadMs(steps)} ms</td><td></td></tr></table></section>`;
}
