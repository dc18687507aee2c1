/**
 * A local LLM server for tests that speaks the real wire formats of Anthropic
 * (`POST /v1/messages`), OpenAI-compatible servers (`POST …/chat/completions`) and Ollama
 * (`POST /api/chat`, `GET /api/tags`, `GET /api/version`), so the real client libraries run
 * against it unmodified — in-process, or from an `mx-agent serve` subprocess pointed at
 * {@link ScriptedLlm.baseUrl}. What it answers is scripted per request; every request is kept.
 *
 *   const llm = await startScriptedLlm([{ text: 'hello' }, { toolCalls: [{ name: 'x', input: {} }] }]);
 *   …  llm.requests[1].toolResults  …
 *   await llm.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  errorPlan,
  replyPlan,
  streamErrorFrame,
  type ScriptedReply,
  type WirePlan,
} from './scripted-llm-formats.ts';
import { normalize, type ScriptedProvider, type ScriptedRequest } from './scripted-llm-requests.ts';

export type { ScriptedError, ScriptedReply, ScriptedToolCall } from './scripted-llm-formats.ts';
export type {
  ScriptedMessage,
  ScriptedProvider,
  ScriptedRequest,
  ScriptedToolResult,
} from './scripted-llm-requests.ts';

/** Decides the reply to each request. */
export type Script = (request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>;

/** A running scripted LLM server. */
export interface ScriptedLlm {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** What to configure as `[llm] base_url` / `host`: Anthropic and Ollama the bare URL, OpenAI with `/v1`. */
  baseUrl(provider: ScriptedProvider): string;
  /** Every request received, in order. */
  readonly requests: readonly ScriptedRequest[];
  /** Queue more replies (used when no script function was given). */
  reply(...replies: readonly ScriptedReply[]): void;
  /** Stop: every connection is closed, hanging replies included. */
  close(): Promise<void>;
}

/**
 * Start a server on a free loopback port. `script` is a function deciding each reply, or a
 * queue of replies taken in order; with the queue empty the server answers HTTP 500 naming the
 * request, so a test that asks more than it scripted fails saying so.
 */
export async function startScriptedLlm(
  script: Script | readonly ScriptedReply[] = [],
  options: {
    readonly models?: readonly string[];
    /** False: requests are not kept (a long benchmark); `requests` stays empty. */
    readonly keepRequests?: boolean;
  } = {},
): Promise<ScriptedLlm> {
  const queue: ScriptedReply[] = typeof script === 'function' ? [] : [...script];
  const decide: Script =
    typeof script === 'function'
      ? script
      : (request) =>
          queue.shift() ?? {
            error: {
              status: 500,
              type: 'api_error',
              message: `scripted-llm: no reply queued for request ${String(request.index)}`,
            },
          };
  const requests: ScriptedRequest[] = [];
  const models = options.models ?? ['scripted-model'];
  const server = createServer((req, res) => {
    handle(req, res, { requests, decide, models, keep: options.keepRequests !== false }).catch(
      (error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `scripted-llm: ${String(error)}` }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  return {
    url,
    baseUrl: (provider) => (provider === 'openai' ? `${url}/v1` : url),
    requests,
    reply: (...replies) => {
      queue.push(...replies);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

interface Context {
  readonly requests: ScriptedRequest[];
  readonly keep: boolean;
  readonly decide: Script;
  readonly models: readonly string[];
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method === 'GET') {
    sendJson(res, 200, infoFor(path, req, ctx.models) ?? { error: `no route GET ${path}` });
    return;
  }
  const provider = providerOf(path);
  if (req.method !== 'POST' || provider === undefined) {
    sendJson(res, 404, { error: `scripted-llm: no route ${String(req.method)} ${path}` });
    return;
  }
  const body = await readJson(req);
  // The reply's end: "client-closed" when the client goes away before it was written whole.
  const gone = new AbortController();
  let settle: (outcome: 'finished' | 'client-closed') => void = () => undefined;
  const outcome = new Promise<'finished' | 'client-closed'>((resolve) => {
    settle = resolve;
  });
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
    settle(res.writableFinished ? 'finished' : 'client-closed');
  });
  const view = normalize(provider, body);
  const request: ScriptedRequest = {
    index: ctx.keep ? ctx.requests.length : 0,
    provider,
    path,
    ...view,
    lastUserText: view.messages.findLast((m) => m.role === 'user')?.text ?? '',
    toolResults: view.messages.flatMap((m) => m.toolResults),
    body,
    headers: req.headers,
    outcome,
  };
  if (ctx.keep) ctx.requests.push(request);
  const reply = await ctx.decide(request);
  await wait(reply.delayMs ?? 0, gone.signal);
  // Until the client gives up (or close()); a non-streamed reply has no "half way".
  if (reply.hang === 'headers' || (reply.hang === 'stream' && !request.stream)) return;
  if (gone.signal.aborted) return;
  if (reply.error !== undefined && reply.error.inStream !== true) {
    write(res, errorPlan(provider, reply.error));
    return;
  }
  const plan = replyPlan(provider, reply, {
    model: request.model,
    stream: request.stream,
    index: request.index,
    usage: reply.usage ?? defaultUsage(body, reply),
    includeUsage: provider !== 'openai' || record(body.stream_options).include_usage === true,
  });
  if (!request.stream) {
    write(res, plan);
    return;
  }
  await stream(res, plan, reply, provider, gone.signal);
}

/** Write a streamed plan piece by piece, or cut it short as the reply says. */
async function stream(
  res: ServerResponse,
  plan: WirePlan,
  reply: ScriptedReply,
  provider: ScriptedProvider,
  gone: AbortSignal,
): Promise<void> {
  res.writeHead(plan.status, { ...plan.headers, 'cache-control': 'no-cache' });
  for (const frame of plan.head) res.write(frame);
  const early =
    reply.hang === 'stream' || reply.cut !== undefined || reply.error?.inStream === true;
  const content = early ? plan.content.slice(0, 1) : plan.content;
  for (const [i, frame] of content.entries()) {
    if (i > 0) await wait(reply.chunkDelayMs ?? 0, gone);
    if (gone.aborted) return;
    res.write(frame);
  }
  if (reply.hang === 'stream') return; // until the client gives up (or close())
  if (reply.cut === 'end') {
    res.end();
    return;
  }
  if (reply.cut === 'drop') {
    res.destroy();
    return;
  }
  if (reply.error !== undefined) {
    res.end(streamErrorFrame(provider, reply.error));
    return;
  }
  await wait(reply.chunkDelayMs ?? 0, gone);
  if (gone.aborted) return;
  res.end(plan.tail.join(''));
}

function write(res: ServerResponse, plan: WirePlan): void {
  res.writeHead(plan.status, plan.headers);
  res.end([...plan.head, ...plan.content, ...plan.tail].join(''));
}

function providerOf(path: string): ScriptedProvider | undefined {
  if (path.endsWith('/messages')) return 'anthropic';
  if (path.endsWith('/chat/completions')) return 'openai';
  if (path === '/api/chat') return 'ollama';
  return undefined;
}

/** Answers to the GET requests a client or a reachability probe may make. */
function infoFor(path: string, req: IncomingMessage, models: readonly string[]): unknown {
  if (path === '/api/version') return { version: '0.12.0' };
  if (path === '/api/tags')
    return {
      models: models.map((name) => ({
        name,
        model: name,
        modified_at: '2025-01-01T00:00:00Z',
        size: 1,
        digest: 'scripted',
        details: { format: 'gguf', family: 'scripted', parameter_size: '1B' },
      })),
    };
  if (!path.endsWith('/models')) return undefined;
  if (req.headers['anthropic-version'] !== undefined)
    return {
      data: models.map((id) => ({
        type: 'model',
        id,
        display_name: id,
        created_at: '2025-01-01T00:00:00Z',
      })),
      has_more: false,
      first_id: models[0] ?? null,
      last_id: models.at(-1) ?? null,
    };
  return {
    object: 'list',
    data: models.map((id) => ({
      id,
      object: 'model',
      created: 1_700_000_000,
      owned_by: 'scripted',
    })),
  };
}

/** Made-up but stable token counts: about a token per 4 characters. */
function defaultUsage(body: Record<string, unknown>, reply: ScriptedReply) {
  const asked =
    JSON.stringify(body.messages ?? []).length + JSON.stringify(body.system ?? '').length;
  const answered = (reply.text ?? '').length + JSON.stringify(reply.toolCalls ?? []).length;
  return { inputTokens: Math.ceil(asked / 4), outputTokens: Math.max(1, Math.ceil(answered / 4)) };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return record(text === '' ? {} : JSON.parse(text));
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Resolve after `ms`, or at once when `signal` fires. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
