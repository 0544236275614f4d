/**
 * A scripted model server for running real agent CLIs without a network: it speaks enough of
 * the Anthropic Messages API (streaming, tool use) for Claude Code, of the Gemini API
 * (`streamGenerateContent`, function calls) for Gemini CLI, and of the OpenAI Responses API
 * (streaming, function calls; zstd request bodies) for Codex, to run a session whose every turn
 * the test chose: call a tool, then another, then finish with a message. It records what the
 * agent sent, so a test can check the tool results it got back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { zstdDecompressSync } from 'node:zlib';

/** One model turn: a tool call (`tool` and its `input`), or the final text. */
export type ScriptedTurn = { tool: string; input: Record<string, unknown> } | { text: string };

export interface ModelServer {
  url: string;
  /** The Messages requests received, in order (count_tokens and other side requests left out). */
  requests: Array<{ messages: unknown[]; tools: unknown[] }>;
  close(): Promise<void>;
}

interface MessagesRequest {
  model?: string;
  stream?: boolean;
  messages?: Array<{ role: string; content: unknown }>;
  tools?: unknown[];
}

interface GeminiRequest {
  contents?: Array<{ role?: string; parts?: Array<Record<string, unknown>> }>;
  tools?: unknown[];
}

interface ResponsesRequest {
  model?: string;
  input?: Array<{ type?: string }>;
  tools?: unknown[];
}

/** How many tool results the conversation holds: which turn of the script comes next. */
function toolResults(request: MessagesRequest): number {
  let count = 0;
  for (const message of request.messages ?? []) {
    if (Array.isArray(message.content))
      count += message.content.filter((part: { type?: string }) => part.type === 'tool_result').length;
  }
  return count;
}

function stream(res: ServerResponse, model: string, turn: ScriptedTurn, index: number): void {
  const events: Array<[string, object]> = [];
  const message = {
    id: `msg_scripted_${index}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 120, output_tokens: 1 },
  };
  events.push(['message_start', { message }]);
  if ('tool' in turn) {
    events.push([
      'content_block_start',
      { index: 0, content_block: { type: 'tool_use', id: `toolu_scripted_${index}`, name: turn.tool, input: {} } },
    ]);
    events.push([
      'content_block_delta',
      { index: 0, delta: { type: 'input_json_delta', partial_json: JSON.stringify(turn.input) } },
    ]);
  } else {
    events.push(['content_block_start', { index: 0, content_block: { type: 'text', text: '' } }]);
    events.push(['content_block_delta', { index: 0, delta: { type: 'text_delta', text: turn.text } }]);
  }
  events.push(['content_block_stop', { index: 0 }]);
  events.push([
    'message_delta',
    {
      delta: { stop_reason: 'tool' in turn ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: { output_tokens: 30 },
    },
  ]);
  events.push(['message_stop', {}]);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [event, data] of events)
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  res.end();
}

export async function startModelServer(script: readonly ScriptedTurn[]): Promise<ModelServer> {
  const requests: ModelServer['requests'] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = (req.headers['content-encoding'] === 'zstd' ? zstdDecompressSync(raw) : raw).toString();
      const url = req.url ?? '';
      if (req.method === 'POST' && url.endsWith('/responses')) {
        responses(res, JSON.parse(body || '{}') as ResponsesRequest);
        return;
      }
      if (req.method === 'POST' && url.includes(':streamGenerateContent')) {
        gemini(res, JSON.parse(body || '{}') as GeminiRequest);
        return;
      }
      if (req.method !== 'POST' || !url.startsWith('/v1/messages') || url.includes('count_tokens')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ input_tokens: 10 }));
        return;
      }
      const request = JSON.parse(body || '{}') as MessagesRequest;
      const model = request.model ?? 'scripted';
      // Side requests (a title for the session, say) have no tools: a short answer does.
      if (!request.stream || !request.tools?.length) {
        const answer = {
          id: 'msg_side',
          type: 'message',
          role: 'assistant',
          model,
          content: [{ type: 'text', text: 'ok' }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 10, output_tokens: 1 },
        };
        if (request.stream) stream(res, model, { text: 'ok' }, 0);
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        return;
      }
      requests.push({ messages: request.messages ?? [], tools: request.tools });
      const index = toolResults(request);
      stream(res, model, script[Math.min(index, script.length - 1)] ?? { text: 'Done.' }, index);
    });
  });
  /** A Gemini turn: one server-sent event with the whole candidate. */
  function gemini(res: ServerResponse, request: GeminiRequest): void {
    const index = (request.contents ?? [])
      .flatMap((content) => content.parts ?? [])
      .filter((part) => 'functionResponse' in part).length;
    if (request.tools?.length) requests.push({ messages: request.contents ?? [], tools: request.tools });
    const turn = request.tools?.length
      ? (script[Math.min(index, script.length - 1)] ?? { text: 'Done.' })
      : { text: 'ok' };
    const part = 'tool' in turn ? { functionCall: { name: turn.tool, args: turn.input } } : { text: turn.text };
    const chunk = {
      candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 120, candidatesTokenCount: 30, totalTokenCount: 150 },
      modelVersion: 'scripted',
    };
    res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`data: ${JSON.stringify(chunk)}\n\n`);
  }

  /** A Responses turn: the output item, then the completed response with its usage. */
  function responses(res: ServerResponse, request: ResponsesRequest): void {
    const input = request.input ?? [];
    const index = input.filter((item) => item.type === 'function_call_output').length;
    if (request.tools?.length) requests.push({ messages: input, tools: request.tools });
    const turn = request.tools?.length
      ? (script[Math.min(index, script.length - 1)] ?? { text: 'Done.' })
      : { text: 'ok' };
    const item =
      'tool' in turn
        ? {
            type: 'function_call',
            id: `fc_scripted_${index}`,
            call_id: `call_scripted_${index}`,
            name: turn.tool,
            arguments: JSON.stringify(turn.input),
            status: 'completed',
          }
        : {
            type: 'message',
            id: `msg_scripted_${index}`,
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: turn.text, annotations: [] }],
          };
    const response = {
      id: `resp_scripted_${index}`,
      object: 'response',
      status: 'completed',
      model: request.model ?? 'scripted',
      output: [item],
    };
    const events: Array<[string, object]> = [
      ['response.created', { response: { ...response, status: 'in_progress', output: [] } }],
      ['response.output_item.added', { output_index: 0, item }],
      ['response.output_item.done', { output_index: 0, item }],
      [
        'response.completed',
        {
          response: {
            ...response,
            usage: {
              input_tokens: 120,
              input_tokens_details: { cached_tokens: 20 },
              output_tokens: 30,
              output_tokens_details: { reasoning_tokens: 0 },
              total_tokens: 150,
            },
          },
        },
      ],
    ];
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const [event, data] of events)
      res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
