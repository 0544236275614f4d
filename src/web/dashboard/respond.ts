/** Small HTTP answers of the dashboard. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export function html(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'referrer-policy': 'same-origin',
      ...headers,
    })
    .end(body);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', ...headers }).end();
}

export async function formField(req: IncomingMessage, name: string): Promise<string | undefined> {
  let body = '';
  for await (const chunk of req) {
    body += (chunk as Buffer).toString();
    if (body.length > 4096) return undefined;
  }
  return new URLSearchParams(body).get(name) ?? undefined;
}
