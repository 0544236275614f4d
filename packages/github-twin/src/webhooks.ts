/**
 * Webhook deliveries as GitHub makes them: signed with the app's webhook secret, with the same
 * headers, POSTed asynchronously after the state change. Every payload is checked against
 * GitHub's webhook description (`@octokit/openapi-webhooks`) before it is sent.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';
import { ajvForDocument } from './ajv.ts';
const require = createRequire(import.meta.url);

export interface Delivery {
  id: string;
  event: string;
  action: string | undefined;
  payload: Record<string, unknown>;
  status: number | undefined;
  error: string | undefined;
  durationMs: number | undefined;
  redelivery: boolean;
}

export interface WebhookTarget {
  url: string | undefined;
  secret: string;
  appId: number;
  events: string[];
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  readonly #pending = new Set<Promise<void>>();
  readonly #schemas: WebhookSchemas;

  readonly #target: () => WebhookTarget;
  readonly #onViolation: (message: string) => void;

  constructor(target: () => WebhookTarget, onViolation: (message: string) => void) {
    this.#target = target;
    this.#onViolation = onViolation;
    this.#schemas = WebhookSchemas.shared();
  }

  /** Whether the app gets `event`: GitHub always sends installation events, the rest when subscribed. */
  wants(event: string): boolean {
    return event.startsWith('installation') || this.#target().events.includes(event);
  }

  /** Queues a delivery of `event` when the app subscribes to it; returns at once, like GitHub. */
  send(event: string, payload: Record<string, unknown>): Delivery | undefined {
    if (!this.wants(event)) return undefined;
    const action = typeof payload.action === 'string' ? payload.action : undefined;
    for (const problem of this.#schemas.validate(event, action, payload)) {
      this.#onViolation(`webhook ${event}.${action ?? ''} payload: ${problem}`);
    }
    const delivery: Delivery = {
      id: randomUUID(),
      event,
      action,
      payload,
      status: undefined,
      error: undefined,
      durationMs: undefined,
      redelivery: false,
    };
    this.deliveries.push(delivery);
    this.#deliver(delivery);
    return delivery;
  }

  /** Sends a recorded delivery again with the same delivery id, as "Redeliver" in GitHub's UI does. */
  redeliver(id: string): Delivery | undefined {
    const original = this.deliveries.find((d) => d.id === id);
    if (!original) return undefined;
    const again: Delivery = {
      ...original,
      status: undefined,
      error: undefined,
      durationMs: undefined,
      redelivery: true,
    };
    this.deliveries.push(again);
    this.#deliver(again);
    return again;
  }

  /** Resolves once every delivery made so far has been answered. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  #deliver(delivery: Delivery): void {
    const target = this.#target();
    if (!target.url) return;
    const body = JSON.stringify(delivery.payload);
    const started = performance.now();
    const attempt = fetch(target.url, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/twin',
        'x-github-event': delivery.event,
        'x-github-delivery': delivery.id,
        'x-github-hook-id': '1',
        'x-github-hook-installation-target-type': 'integration',
        'x-github-hook-installation-target-id': String(target.appId),
        'x-hub-signature': `sha1=${createHmac('sha1', target.secret).update(body).digest('hex')}`,
        'x-hub-signature-256': sign(target.secret, body),
      },
      signal: AbortSignal.timeout(10_000),
    })
      .then(async (response) => {
        delivery.status = response.status;
        await response.arrayBuffer();
      })
      .catch((error: unknown) => {
        delivery.error = error instanceof Error ? error.message : String(error);
      })
      .finally(() => {
        delivery.durationMs = performance.now() - started;
        this.#pending.delete(attempt);
      });
    this.#pending.add(attempt);
  }
}

/** GitHub's webhook payload schemas, compiled once per process and per event. */
class WebhookSchemas {
  static #instance: WebhookSchemas | undefined;
  readonly #ajv: Ajv;
  readonly #names: Set<string>;
  readonly #validators = new Map<string, ValidateFunction>();

  static shared(): WebhookSchemas {
    WebhookSchemas.#instance ??= new WebhookSchemas();
    return WebhookSchemas.#instance;
  }

  private constructor() {
    const file = require.resolve('@octokit/openapi-webhooks/generated/api.github.com.json');
    const document = JSON.parse(readFileSync(file, 'utf8')) as { components: { schemas: Record<string, unknown> } };
    this.#names = new Set(Object.keys(document.components.schemas));
    this.#ajv = ajvForDocument('github-webhooks', document);
  }

  validate(event: string, action: string | undefined, payload: unknown): string[] {
    const name = `webhook-${event.replace(/_/g, '-')}${action ? `-${action.replace(/_/g, '-')}` : ''}`;
    if (!this.#names.has(name)) return [`no schema named ${name}`];
    let validate = this.#validators.get(name);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: `github-webhooks#/components/schemas/${name}` });
      this.#validators.set(name, validate);
    }
    if (validate(payload)) return [];
    return (validate.errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
  }
}
