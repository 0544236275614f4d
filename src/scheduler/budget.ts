/**
 * Cost budgets: what one run may cost, and what an agent or a repository may spend in a day
 * (a UTC day). Pure: the amounts spent are given; nothing here reads a clock or a database.
 *
 * A run's budget is the tightest of the per-run limits and what is left of the day's; a run that
 * reaches it is stopped with its work kept. Runs whose day's budget is spent wait until the next
 * UTC day.
 */

/** The limits one place sets: an agent in the server config, or a repository's `limits`. */
export interface CostLimits {
  /** US dollars one run may cost. */
  maxCostPerRun?: number | null | undefined;
  /** US dollars that may be spent in one UTC day. */
  maxCostPerDay?: number | null | undefined;
}

/** A daily budget and what has been spent of it today. */
export interface DailySpend {
  cap: number;
  spent: number;
}

export interface RunBudget {
  /** The most the run may cost, in US dollars. */
  maxCostUsd: number;
  /** Which limit that is, in words for the status comment. */
  source: string;
}

export interface BudgetInput {
  agentName: string;
  agent: CostLimits;
  repository: CostLimits;
  /** Spent today (UTC) by this agent across repositories, and in this repository across agents. */
  spentToday: { agent: number; repository: number };
}

/** `$0.0012` below a dollar, `$12.50` above. */
export function formatUsd(amount: number): string {
  return `$${amount < 1 ? amount.toFixed(4) : amount.toFixed(2)}`;
}

/** Midnight UTC of the day `now` falls in: where a daily budget starts again. */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** The budget of a run about to start, or undefined when no limit applies. */
export function runBudget(input: BudgetInput): RunBudget | undefined {
  const candidates: RunBudget[] = [];
  const { agent, repository, agentName, spentToday } = input;
  if (agent.maxCostPerRun)
    candidates.push({
      maxCostUsd: agent.maxCostPerRun,
      source: `the ${formatUsd(agent.maxCostPerRun)} a run of the ${agentName} agent may cost (maxCostPerRun)`,
    });
  if (repository.maxCostPerRun)
    candidates.push({
      maxCostUsd: repository.maxCostPerRun,
      source: `the ${formatUsd(repository.maxCostPerRun)} a run in this repository may cost (limits.maxCostPerRun)`,
    });
  if (agent.maxCostPerDay) {
    const left = Math.max(0, agent.maxCostPerDay - spentToday.agent);
    candidates.push({
      maxCostUsd: left,
      source: `what was left of the ${agentName} agent's daily budget of ${formatUsd(agent.maxCostPerDay)} (maxCostPerDay): ${formatUsd(left)}`,
    });
  }
  if (repository.maxCostPerDay) {
    const left = Math.max(0, repository.maxCostPerDay - spentToday.repository);
    candidates.push({
      maxCostUsd: left,
      source: `what was left of this repository's daily budget of ${formatUsd(repository.maxCostPerDay)} (limits.maxCostPerDay): ${formatUsd(left)}`,
    });
  }
  return candidates.sort((a, b) => a.maxCostUsd - b.maxCostUsd)[0];
}

/** Why a run of `agentName` waits for tomorrow's budget, or undefined when it may start. */
export function dailyBudgetWait(
  agentName: string,
  agent: DailySpend | undefined,
  repository: DailySpend | undefined,
): string | undefined {
  if (repository && repository.spent >= repository.cap) {
    return `waits: ${formatUsd(repository.spent)} has been spent in this repository today, its daily budget of ${formatUsd(repository.cap)} (limits.maxCostPerDay). Runs start again after 00:00 UTC.`;
  }
  if (agent && agent.spent >= agent.cap) {
    return `waits: the ${agentName} agent has spent ${formatUsd(agent.spent)} today, its daily budget of ${formatUsd(agent.cap)} (maxCostPerDay). Its runs start again after 00:00 UTC.`;
  }
  return undefined;
}

/** The sentence for a run stopped at its budget; `spent` is what the agent reported, when it did. */
export function overBudgetReason(budget: RunBudget, spent: number | undefined): string {
  const cost = spent === undefined ? 'It reached' : `It had spent ${formatUsd(spent)}, over`;
  return `Stopped at its budget. ${cost} ${budget.source}. The work it had done is kept on the branch.`;
}
