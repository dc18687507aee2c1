/**
 * The model the demo's chat agent talks to: a local Ollama when one answers and has a model,
 * otherwise an offline scripted model in this process. The scripted model speaks Ollama's
 * `/api/chat` wire format (JSON, or NDJSON when streamed), so `serve`'s real Ollama client
 * runs either way, and every answer it gives says it is scripted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The model the demo uses. */
export type DemoModel =
  | { readonly type: 'ollama'; readonly host: string; readonly model: string }
  | {
      readonly type: 'offline';
      readonly host: string;
      readonly model: string;
      /** Why no Ollama is used, in a few words. */
      readonly reason: string;
      close(): Promise<void>;
    };

/** The label every scripted answer starts with. */
export const OFFLINE_LABEL = '[offline scripted model]';

/** The default Ollama address: $OLLAMA_HOST, else Ollama's own default. */
export function defaultOllamaHost(env: NodeJS.ProcessEnv): string {
  const host = env.OLLAMA_HOST?.trim();
  if (!host) return 'http://127.0.0.1:11434';
  return /^https?:\/\//.test(host) ? host : `http://${host}`;
}

/**
 * The first model a reachable Ollama at `host` has (or `wanted`, when it has that one), or why
 * there is none. Waits at most `timeoutMs`.
 */
export async function probeOllama(
  host: string,
  wanted: string | undefined,
  timeoutMs = 1500,
): Promise<{ readonly model: string } | { readonly reason: string }> {
  let body: unknown;
  try {
    const response = await fetch(new URL('/api/tags', host), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok)
      return { reason: `Ollama at ${host} answered HTTP ${String(response.status)}` };
    body = await response.json();
  } catch (error) {
    return error instanceof Error && error.name === 'TimeoutError'
      ? { reason: `Ollama at ${host} did not answer within ${String(timeoutMs / 1000)} s` }
      : { reason: `no Ollama answered at ${host}` };
  }
  const models = modelNames(body);
  if (wanted !== undefined)
    return models.includes(wanted) || models.includes(`${wanted}:latest`)
      ? { model: wanted }
      : { reason: `Ollama at ${host} has no model "${wanted}" (ollama pull ${wanted})` };
  const first = models[0];
  return first === undefined
    ? { reason: `Ollama at ${host} has no model pulled (ollama pull llama3.2)` }
    : { model: first };
}

function modelNames(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const models = (body as { models?: unknown }).models;
  if (!Array.isArray(models)) return [];
  return models
    .map((m: unknown) =>
      typeof m === 'object' && m !== null ? (m as { name?: unknown }).name : undefined,
    )
    .filter((name): name is string => typeof name === 'string');
}

/** Start the offline scripted model on a loopback port. */
export async function startOfflineModel(reason: string): Promise<DemoModel & { type: 'offline' }> {
  const server = createServer((request, response) => {
    answer(request, response).catch(() => {
      response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    type: 'offline',
    host: `http://127.0.0.1:${String(port)}`,
    model: 'offline-scripted',
    reason,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** The scripted answer to the person's last message. */
export function scriptedAnswer(question: string): string {
  const asked = question.trim().replace(/\s+/g, ' ').slice(0, 200);
  return (
    `${OFFLINE_LABEL} Hello! I am bob, an mx-agent serve agent. No language model was reachable, ` +
    `so this answer is canned. You asked: "${asked}". With Ollama running (ollama serve; ` +
    `ollama pull llama3.2), the demo uses it instead.`
  );
}

async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'POST' || request.url !== '/api/chat') {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: `the offline model only answers POST /api/chat` }));
    return;
  }
  let raw = '';
  for await (const chunk of request) raw += String(chunk);
  let body: { stream?: unknown; messages?: unknown; model?: unknown };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch {
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: 'expected a JSON body' }));
    return;
  }
  const text = scriptedAnswer(lastUserText(body.messages));
  const base = {
    model: typeof body.model === 'string' ? body.model : 'offline-scripted',
    created_at: new Date().toISOString(),
  };
  const done = {
    done: true,
    done_reason: 'stop',
    prompt_eval_count: raw.length >> 2,
    eval_count: text.length >> 2,
  };
  const message = (content: string) => ({ role: 'assistant', content });
  if (body.stream === false) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ...base, message: message(text), ...done }));
    return;
  }
  response.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const piece of text.match(/.{1,40}(\s|$)/g) ?? [text])
    response.write(`${JSON.stringify({ ...base, message: message(piece), done: false })}\n`);
  response.end(`${JSON.stringify({ ...base, message: message(''), ...done })}\n`);
}

function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | undefined;
    if (m?.role === 'user' && typeof m.content === 'string') return m.content;
  }
  return '';
}
