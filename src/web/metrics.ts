/**
 * Prometheus metrics (prom-client), served at `/metrics` by the web role and by a worker's own
 * server: runs by state and agent, run and queue-wait durations, busy slots, webhook
 * acknowledgement latency, the steps of runs, GitHub requests and the rate limit left, and the agents' tokens and
 * cost. Counters count what this process did; gauges read the database at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AgentUsage } from '../domain/run.ts';
import { RUN_STEPS } from '../domain/steps.ts';
import type { Store } from '../store/runs.ts';
import type { RunRecord } from '../domain/run.ts';

export class Metrics {
  readonly registry = new Registry();
  readonly #runsFinished: Counter;
  readonly #runSeconds: Histogram;
  readonly #stepSeconds: Histogram;
  readonly #queueWaitSeconds: Histogram;
  readonly #webhookAckSeconds: Histogram;
  readonly #githubRequests: Counter;
  readonly #rateLimitRemaining: Gauge;
  readonly #tokens: Counter;
  readonly #costUsd: Counter;

  constructor(options: { store: Store; concurrency: number }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_' });
    const registers = [this.registry];
    this.#runsFinished = new Counter({
      name: 'switchyard_runs_finished_total',
      help: 'Runs that ended here, by final state and agent.',
      labelNames: ['state', 'agent'],
      registers,
    });
    this.#runSeconds = new Histogram({
      name: 'switchyard_run_duration_seconds',
      help: 'From start to end of a run, by agent and final state.',
      labelNames: ['agent', 'state'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      registers,
    });
    this.#stepSeconds = new Histogram({
      name: 'switchyard_run_step_seconds',
      help: 'How long each step of a run took (token, fetch, worktree, agent, checks, snapshot, push, pull request…), by step.',
      labelNames: ['step'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers,
    });
    this.#queueWaitSeconds = new Histogram({
      name: 'switchyard_queue_wait_seconds',
      help: 'From the trigger to the start of a run, by agent.',
      labelNames: ['agent'],
      buckets: [0.5, 1, 5, 15, 30, 60, 300, 900, 3600],
      registers,
    });
    this.#webhookAckSeconds = new Histogram({
      name: 'switchyard_webhook_ack_seconds',
      help: 'Time to answer a webhook delivery, by HTTP status.',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#githubRequests = new Counter({
      name: 'switchyard_github_requests_total',
      help: 'REST requests to GitHub, by method and status.',
      labelNames: ['method', 'status'],
      registers,
    });
    this.#rateLimitRemaining = new Gauge({
      name: 'switchyard_github_rate_limit_remaining',
      help: 'x-ratelimit-remaining of the last GitHub answer, by installation.',
      labelNames: ['installation'],
      registers,
    });
    this.#tokens = new Counter({
      name: 'switchyard_agent_tokens_total',
      help: 'Tokens the agents reported, by agent and direction.',
      labelNames: ['agent', 'direction'],
      registers,
    });
    this.#costUsd = new Counter({
      name: 'switchyard_agent_cost_usd_total',
      help: 'Cost the agents reported, in US dollars, by agent.',
      labelNames: ['agent'],
      registers,
    });
    const { store, concurrency } = options;
    new Gauge({
      name: 'switchyard_runs',
      help: 'Live runs in the database, by state.',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await store.liveRunCounts();
        for (const state of ['queued', 'waiting', 'running']) this.set({ state }, counts[state] ?? 0);
      },
    });
    new Gauge({
      name: 'switchyard_check_fix_rounds',
      help: 'Rounds of agent fixes for failing checks of pull requests, by outcome (passed, failed, no-change, running).',
      labelNames: ['outcome'],
      registers,
      async collect() {
        const counts = await store.checkRoundOutcomes();
        for (const outcome of ['passed', 'failed', 'no-change', 'running']) this.set({ outcome }, counts[outcome] ?? 0);
      },
    });
    new Gauge({
      name: 'switchyard_slot_utilisation',
      help: 'Busy run slots (dispatched and running runs) over the global concurrency.',
      registers,
      async collect() {
        this.set((await store.occupiedSlots()) / Math.max(concurrency, 1));
      },
    });
  }

  runStarted(run: RunRecord): void {
    if (run.startedAt)
      this.#queueWaitSeconds.observe({ agent: run.agent }, (run.startedAt.getTime() - run.createdAt.getTime()) / 1000);
  }

  runFinished(run: RunRecord, durationMs: number, usage: AgentUsage | undefined): void {
    this.#runsFinished.inc({ state: run.state, agent: run.agent });
    this.#runSeconds.observe({ agent: run.agent, state: run.state }, durationMs / 1000);
    for (const step of RUN_STEPS) {
      const ms = run.steps?.[step];
      if (ms !== undefined) this.#stepSeconds.observe({ step }, ms / 1000);
    }
    if (usage) {
      this.#tokens.inc({ agent: run.agent, direction: 'input' }, usage.inputTokens);
      this.#tokens.inc({ agent: run.agent, direction: 'output' }, usage.outputTokens);
      if (usage.costUsd !== undefined) this.#costUsd.inc({ agent: run.agent }, usage.costUsd);
    }
  }

  webhookAnswered(status: number, seconds: number): void {
    this.#webhookAckSeconds.observe({ status: String(status) }, seconds);
  }

  githubAnswered(installationId: number, method: string, status: number, remaining: string | undefined): void {
    this.#githubRequests.inc({ method, status: String(status) });
    if (remaining !== undefined && remaining !== '' && Number.isFinite(Number(remaining)))
      this.#rateLimitRemaining.set({ installation: String(installationId) }, Number(remaining));
  }
}
