/**
 * The steps of a run, in the order they happen, and how long each took: stored with the run,
 * shown on its dashboard page, exported as a histogram in `/metrics`, and printed by the
 * benchmarks. What a run costs besides its agent is the sum of the others.
 */

export const RUN_STEPS = [
  /** The repository's config, the comments and who may be listened to. */
  'request',
  /** Minting the run's installation token. */
  'token',
  /** Waiting for the repository's lock (another run's fetch, worktree or push). */
  'lock',
  /** Fetching the repository into its mirror. */
  'fetch',
  /** Checking out the run's worktree (fresh or reused). */
  'worktree',
  /** Files for the agent, the sandbox's paths, the egress proxy. */
  'setup',
  /** The agent, in its sandbox. */
  'agent',
  /** The repository's checks. */
  'checks',
  /** Reading the worktree into a commit from the trusted side, and its diff stat. */
  'snapshot',
  /** Looking for Switchyard's secrets in the change. */
  'secretGuard',
  'push',
  /** Giving the worktree back (a pooled one is reset for the next run). */
  'release',
  /** Opening or updating the pull request. */
  'pullRequest',
] as const;

export type RunStep = (typeof RUN_STEPS)[number];

/** Milliseconds per step; a step a run did not take is absent. */
export type StepTimings = Partial<Record<RunStep, number>>;

/** Times the steps of one run; a step taken twice adds up. */
export class StepClock {
  readonly #timings: StepTimings = {};

  /** Runs `work` as `step`, and adds the time it took (also when it throws). */
  async time<T>(step: RunStep, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.add(step, performance.now() - started);
    }
  }

  add(step: RunStep, ms: number): void {
    this.#timings[step] = Math.round((this.#timings[step] ?? 0) + ms);
  }

  /** Takes in what another clock timed (the runner's, for the run job). */
  merge(timings: StepTimings | undefined): void {
    for (const step of RUN_STEPS) if (timings?.[step] !== undefined) this.add(step, timings[step]);
  }

  get timings(): StepTimings {
    return { ...this.#timings };
  }
}

/** What a run cost besides its agent: every step but `agent`. */
export function overheadMs(timings: StepTimings): number {
  return RUN_STEPS.filter((step) => step !== 'agent').reduce((sum, step) => sum + (timings[step] ?? 0), 0);
}
