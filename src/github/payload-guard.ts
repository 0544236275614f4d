/**
 * A signed webhook can still be malformed (a GitHub bug, a hand-made redelivery, a proxy that
 * rewrote it). The handlers read a few fields of each payload; those are checked first, and a
 * payload without them is answered 400 with the field and the problem rather than a 500
 * TypeError. @octokit/webhooks answers with the `status` of the error a handler throws.
 */
import { z } from 'zod';

export class MalformedPayloadError extends Error {
  readonly status = 400;

  constructor(event: string, problems: string) {
    super(`The ${event} payload is malformed: ${problems}`);
    this.name = 'MalformedPayloadError';
  }
}

const account = z.object({ login: z.string(), type: z.string() }).passthrough();
const repository = z
  .object({ full_name: z.string(), name: z.string(), owner: z.object({ login: z.string() }).passthrough() })
  .passthrough();
const issue = z
  .object({ number: z.number().int().positive(), title: z.string(), body: z.string().nullable().optional() })
  .passthrough();

/** The fields each handled event reads, by event name. */
const SCHEMAS = {
  issues: z.object({ issue, repository, sender: account }).passthrough(),
  issue_comment: z
    .object({
      issue,
      repository,
      sender: account,
      comment: z.object({ id: z.number(), body: z.string() }).passthrough(),
    })
    .passthrough(),
  pull_request: z
    .object({
      number: z.number().int().positive(),
      repository,
      sender: account,
      pull_request: z.object({ merged: z.boolean().nullable().optional() }).passthrough(),
    })
    .passthrough(),
  push: z
    .object({
      ref: z.string(),
      repository: repository.extend({ clone_url: z.string(), default_branch: z.string() }),
      sender: account,
    })
    .passthrough(),
  check_suite: z
    .object({
      check_suite: z.object({ head_sha: z.string().regex(/^[0-9a-f]{40}$/) }).passthrough(),
      repository: repository.extend({ clone_url: z.string(), default_branch: z.string() }),
    })
    .passthrough(),
  check_run: z
    .object({
      check_run: z.object({ head_sha: z.string().regex(/^[0-9a-f]{40}$/) }).passthrough(),
      repository: repository.extend({ clone_url: z.string(), default_branch: z.string() }),
    })
    .passthrough(),
  status: z
    .object({
      sha: z.string().regex(/^[0-9a-f]{40}$/),
      state: z.string(),
      repository: repository.extend({ clone_url: z.string(), default_branch: z.string() }),
    })
    .passthrough(),
} as const;

/** Throws a `MalformedPayloadError` (HTTP 400) when `payload` lacks what the handlers of `event` read. */
export function assertPayload(event: keyof typeof SCHEMAS, action: string | undefined, payload: unknown): void {
  const result = SCHEMAS[event].safeParse(payload);
  if (result.success) return;
  const problems = result.error.issues
    .map((problem) => `${problem.path.join('.') || '(payload)'}: ${problem.message}`)
    .join('; ');
  throw new MalformedPayloadError(action ? `${event}.${action}` : event, problems);
}
