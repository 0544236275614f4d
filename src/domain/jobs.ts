/**
 * What each job carries: the data a webhook handler or another job sends, and its handler reads
 * (`src/jobs/index.ts` lists the queues they go to).
 */
import type { IssueSnapshot, RepoRef, RunTrigger } from './run.ts';

/** An `/agent …` comment, recorded; the permission check and the answer happen in the job. */
export interface CommandJob {
  deliveryId: string;
  installationId: number;
  repo: RepoRef;
  issue: IssueSnapshot;
  sender: string;
  /** The comment that gave the command (it gets a 👀); none for a box ticked on the dashboard issue. */
  commentId: number | undefined;
  /** The issue was open when the comment was made (`/agent retry` needs it open). */
  issueOpen: boolean;
  /** The word after `/agent`, lowercased (may be empty or unknown). */
  name: string;
  /** What follows it: `/agent retry <instructions>`. */
  args?: string | undefined;
  /** The comment was made on this pull request (`issue` is then the pull request's own). */
  pullRequest?: number | undefined;
  /** The issue the command is about, when given elsewhere (a box ticked on the dashboard issue). */
  target?: number | undefined;
}

/** Repositories the app was installed on: their labels are created. */
export interface SetupJob {
  installationId: number;
  repos: Array<{ owner: string; name: string; fullName: string }>;
}

export interface IntakeJob {
  trigger: RunTrigger;
}

export interface RunJob {
  runId: string;
}

/** Cancel an issue's live run: its label was removed, or the issue closed. */
export interface CancelJob {
  repo: string;
  issueNumber: number;
  installationId: number;
  reason: string;
}

/** Plan the repository's live runs again: after a batch window, a finished run, or a merge. */
export interface PlanJob {
  repo: string;
  installationId: number;
}

/** Write an issue's status comment and label as its newest run is now. */
export interface ReportJob {
  repo: string;
  issueNumber: number;
  /** The answer to a person (a trigger, a cancel, a command) or a run's end: written at once, the label later. */
  urgent?: boolean | undefined;
  /**
   * A state that often passes within the status interval (a run that has just started): written
   * only once it has lasted one interval, so a run that ends sooner shows its end alone, and its
   * issue never wears and sheds a label for what it no longer does.
   */
  settled?: boolean | undefined;
}

/** A CI result on a commit: a check suite or run completed, or a status was set. */
export interface CiResultJob {
  installationId: number;
  repo: RepoRef;
  sha: string;
}

/** Check the repository's open Switchyard pull requests against their bases, and repair those that no longer merge. */
export interface MergeabilityJob {
  repo: RepoRef;
  installationId: number;
}

/** Write a repository's dashboard issue (`dashboard: true`) as its runs are now. */
export interface DashboardJob {
  repo: RepoRef;
  installationId: number;
}
