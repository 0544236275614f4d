/** What one agent run, and each of its checks, may use of a shared worker. */

export interface ResourceLimits {
  memoryBytes: number;
  processes: number;
  /** CPUs' worth of time per period (`1.5`: one and a half cores). */
  cpus: number;
  outputBytes: number;
  /** How much the worktree may grow on disk while the process runs. */
  worktreeBytes: number;
}

/** What a shared worker gives one agent unless the operator says otherwise. */
export const DEFAULT_LIMITS: ResourceLimits = {
  memoryBytes: 4 * 1024 ** 3,
  processes: 512,
  cpus: 2,
  outputBytes: 200 * 1024 ** 2,
  worktreeBytes: 2 * 1024 ** 3,
};

/** The limit a process went past. */
export type LimitHit = 'memory' | 'processes' | 'output' | 'worktree';
