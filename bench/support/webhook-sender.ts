/**
 * The sending side of bench:intake, on a thread of its own: GitHub's webhooks come from another
 * machine, and on the benchmark's main thread (which also serves the twin's API to Switchyard)
 * a twin request being validated would delay when a response is read and count as Switchyard's.
 * Each of the `inFlight` senders keeps its connection, as a load generator does (wrk, autocannon):
 * the figure is how long Switchyard takes to answer, not how often a socket is opened.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import pLimit from 'p-limit';

/** One signed delivery, ready to POST. */
export interface SignedDelivery {
  id: string;
  body: string;
  signature: string;
}

export interface SenderInput {
  url: string;
  deliveries: SignedDelivery[];
  inFlight: number;
}

export interface SenderResult {
  /** Milliseconds from sending a delivery to reading its whole response, in the order answered. */
  latencies: number[];
  failures: string[];
  seconds: number;
}

function post(url: string, agent: Agent, delivery: SignedDelivery): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(delivery.body),
        'x-github-event': 'issues',
        'x-github-delivery': delivery.id,
        'x-hub-signature-256': delivery.signature,
      },
    });
    req.on('response', (response) => {
      response.on('data', () => undefined);
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(delivery.body);
  });
}

async function sendAll({ url, deliveries, inFlight }: SenderInput): Promise<SenderResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const latencies: number[] = [];
  const failures: string[] = [];
  const send = pLimit(inFlight);
  const started = performance.now();
  await Promise.all(
    deliveries.map((delivery) =>
      send(async () => {
        const t = performance.now();
        const status = await post(url, agent, delivery).catch((error: unknown) => {
          failures.push(`${delivery.id}: ${String(error)}`);
          return 0;
        });
        latencies.push(performance.now() - t);
        if (status !== 0 && (status < 200 || status >= 300)) failures.push(`${delivery.id}: ${status}`);
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { latencies, failures, seconds };
}

if (parentPort) parentPort.postMessage(await sendAll(workerData as SenderInput));
