/**
 * A scripted reply written in each provider's real wire format, so the real client libraries
 * read it unmodified:
 * - Anthropic Messages: JSON, or SSE events message_start … message_stop
 *   (https://docs.anthropic.com/en/api/messages-streaming); errors `{type:'error', error:{…}}`.
 * - OpenAI Chat Completions: JSON, or SSE `data:` chunks ending with a usage chunk and
 *   `data: [DONE]`; tool-call arguments split over chunks by `index`; errors `{error:{…}}`.
 * - Ollama /api/chat: JSON, or NDJSON lines ending with `done: true` and the token counts;
 *   errors `{error: "…"}`.
 */
import type { ScriptedProvider } from './scripted-llm-requests.ts';

/** A tool call the scripted model makes; a string input is sent as written (malformed JSON). */
export interface ScriptedToolCall {
  readonly name: string;
  readonly input: Record<string, unknown> | string;
}

/** An error the scripted model answers with. */
export interface ScriptedError {
  readonly status: number;
  /** Anthropic `error.type`, OpenAI `error.type`. */
  readonly type?: string;
  /** OpenAI `error.code`. */
  readonly code?: string;
  readonly message?: string;
  /** The `retry-after` header (seconds, or an HTTP date). */
  readonly retryAfter?: number | string;
  /** The `retry-after-ms` header. */
  readonly retryAfterMs?: number;
  /** Send it inside a 200 stream after the first piece of text, not as the HTTP status. */
  readonly inStream?: boolean;
  /** Send this as a text/html body instead of the provider's JSON (a proxy's error page). */
  readonly html?: string;
}

/** What the scripted model answers to one request. */
export interface ScriptedReply {
  readonly text?: string;
  readonly toolCalls?: readonly ScriptedToolCall[];
  /** Wait this long before the response headers. */
  readonly delayMs?: number;
  /** Wait this long between streamed pieces. */
  readonly chunkDelayMs?: number;
  readonly error?: ScriptedError;
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number };
  /** Why the model stopped, when it did not call tools (default: end). */
  readonly stop?: 'end' | 'max_tokens';
  /** Never finish: before the headers, or after the first piece of the stream. */
  readonly hang?: 'headers' | 'stream';
  /**
   * Stop after the first piece of the stream: `end` closes the response as if it were complete
   * (no final event), `drop` destroys the connection.
   */
  readonly cut?: 'end' | 'drop';
}

/** A reply ready to write: status, headers, and the pieces of its body. */
export interface WirePlan {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Written up to the content, the content pieces one by one, then the end. */
  readonly head: readonly string[];
  readonly content: readonly string[];
  readonly tail: readonly string[];
}

/** Per-request facts the formats need. */
export interface WireContext {
  readonly model: string;
  readonly stream: boolean;
  /** Makes ids unique per request. */
  readonly index: number;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
  readonly includeUsage: boolean;
}

/** `text` in about three pieces (characters, not UTF-16 halves). */
export function pieces(text: string, count = 3): string[] {
  const chars = Array.from(text);
  const size = Math.max(1, Math.ceil(chars.length / count));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

function inputText(call: ScriptedToolCall): string {
  return typeof call.input === 'string' ? call.input : JSON.stringify(call.input);
}

const json = (status: number, body: unknown, extra: Record<string, string> = {}): WirePlan => ({
  status,
  headers: { 'content-type': 'application/json', ...extra },
  head: [JSON.stringify(body)],
  content: [],
  tail: [],
});

/** The error response of `provider`, with its retry headers. */
export function errorPlan(provider: ScriptedProvider, error: ScriptedError): WirePlan {
  const headers: Record<string, string> = {};
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  if (error.retryAfterMs !== undefined) headers['retry-after-ms'] = String(error.retryAfterMs);
  if (error.html !== undefined)
    return {
      status: error.status,
      headers: { 'content-type': 'text/html', ...headers },
      head: [error.html],
      content: [],
      tail: [],
    };
  const message = error.message ?? `scripted error ${String(error.status)}`;
  return json(error.status, errorBody(provider, error, message), headers);
}

function errorBody(provider: ScriptedProvider, error: ScriptedError, message: string): unknown {
  if (provider === 'anthropic')
    return { type: 'error', error: { type: error.type ?? 'api_error', message } };
  if (provider === 'openai')
    return {
      error: { message, type: error.type ?? 'server_error', param: null, code: error.code ?? null },
    };
  return { error: message };
}

/** The reply in `provider`'s format. */
export function replyPlan(
  provider: ScriptedProvider,
  reply: ScriptedReply,
  ctx: WireContext,
): WirePlan {
  switch (provider) {
    case 'anthropic':
      return anthropicPlan(reply, ctx);
    case 'openai':
      return openaiPlan(reply, ctx);
    case 'ollama':
      return ollamaPlan(reply, ctx);
  }
}

function anthropicPlan(reply: ScriptedReply, ctx: WireContext): WirePlan {
  const text = reply.text ?? '';
  const calls = reply.toolCalls ?? [];
  const stop =
    calls.length > 0 ? 'tool_use' : reply.stop === 'max_tokens' ? 'max_tokens' : 'end_turn';
  const id = (i: number): string => `toolu_scripted_${String(ctx.index)}_${String(i)}`;
  const message = {
    id: `msg_scripted_${String(ctx.index)}`,
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    stop_sequence: null,
  };
  if (!ctx.stream) {
    const content = [
      ...(text === '' ? [] : [{ type: 'text', text }]),
      ...calls.map((call, i) => ({
        type: 'tool_use',
        id: id(i),
        name: call.name,
        input: call.input,
      })),
    ];
    const usage = { input_tokens: ctx.usage.inputTokens, output_tokens: ctx.usage.outputTokens };
    return json(200, { ...message, content, stop_reason: stop, usage });
  }
  const event = (type: string, data: Record<string, unknown>): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const usage = { input_tokens: ctx.usage.inputTokens, output_tokens: 1 };
  const head = [
    event('message_start', { message: { ...message, content: [], stop_reason: null, usage } }),
    event('ping', {}),
  ];
  // Each block's start rides with its first delta and its stop with its last, so the first
  // piece written already carries text (what a reader of a cut-off stream sees).
  const content: string[] = [];
  const block = (index: number, start: unknown, deltas: readonly unknown[]): void => {
    const frames = deltas.map((delta) => event('content_block_delta', { index, delta }));
    frames[0] = event('content_block_start', { index, content_block: start }) + (frames[0] ?? '');
    const last = frames.length - 1;
    frames[last] = `${frames[last] ?? ''}${event('content_block_stop', { index })}`;
    content.push(...frames);
  };
  let index = 0;
  if (text !== '')
    block(
      index++,
      { type: 'text', text: '' },
      pieces(text).map((piece) => ({ type: 'text_delta', text: piece })),
    );
  calls.forEach((call, i) => {
    const deltas = pieces(inputText(call)).map((piece) => ({
      type: 'input_json_delta',
      partial_json: piece,
    }));
    block(index++, { type: 'tool_use', id: id(i), name: call.name, input: {} }, deltas);
  });
  const tail = [
    event('message_delta', {
      delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: ctx.usage.outputTokens },
    }),
    event('message_stop', {}),
  ];
  return { status: 200, headers: { 'content-type': 'text/event-stream' }, head, content, tail };
}

function openaiPlan(reply: ScriptedReply, ctx: WireContext): WirePlan {
  const text = reply.text ?? '';
  const calls = reply.toolCalls ?? [];
  const finish = calls.length > 0 ? 'tool_calls' : reply.stop === 'max_tokens' ? 'length' : 'stop';
  const id = (i: number): string => `call_scripted_${String(ctx.index)}_${String(i)}`;
  const base = {
    id: `chatcmpl-scripted-${String(ctx.index)}`,
    created: 1_700_000_000,
    model: ctx.model,
  };
  const usage = {
    prompt_tokens: ctx.usage.inputTokens,
    completion_tokens: ctx.usage.outputTokens,
    total_tokens: ctx.usage.inputTokens + ctx.usage.outputTokens,
  };
  if (!ctx.stream) {
    const toolCalls = calls.map((call, i) => ({
      id: id(i),
      type: 'function',
      function: { name: call.name, arguments: inputText(call) },
    }));
    const msg = {
      role: 'assistant',
      content: text === '' && calls.length > 0 ? null : text,
      refusal: null,
    };
    return json(200, {
      ...base,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { ...msg, ...(calls.length > 0 ? { tool_calls: toolCalls } : {}) },
          finish_reason: finish,
          logprobs: null,
        },
      ],
      usage,
    });
  }
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): string =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] })}\n\n`;
  const head = [chunk({ role: 'assistant', content: '' })];
  const content = pieces(text).map((piece) => chunk({ content: piece }));
  calls.forEach((call, i) => {
    content.push(
      chunk({
        tool_calls: [
          { index: i, id: id(i), type: 'function', function: { name: call.name, arguments: '' } },
        ],
      }),
    );
    for (const piece of pieces(inputText(call)))
      content.push(chunk({ tool_calls: [{ index: i, function: { arguments: piece } }] }));
  });
  const tail = [chunk({}, finish)];
  if (ctx.includeUsage)
    tail.push(
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`,
    );
  tail.push('data: [DONE]\n\n');
  return { status: 200, headers: { 'content-type': 'text/event-stream' }, head, content, tail };
}

function ollamaPlan(reply: ScriptedReply, ctx: WireContext): WirePlan {
  const text = reply.text ?? '';
  const calls = (reply.toolCalls ?? []).map((call) => ({
    function: { name: call.name, arguments: call.input },
  }));
  const base = { model: ctx.model, created_at: '2025-01-01T00:00:00.000Z' };
  const done = {
    done: true,
    done_reason: reply.stop === 'max_tokens' ? 'length' : 'stop',
    total_duration: 1_000_000,
    load_duration: 1000,
    prompt_eval_count: ctx.usage.inputTokens,
    prompt_eval_duration: 1000,
    eval_count: ctx.usage.outputTokens,
    eval_duration: 1000,
  };
  const message = (
    content: string,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> => ({
    role: 'assistant',
    content,
    ...extra,
  });
  if (!ctx.stream)
    return json(200, {
      ...base,
      message: message(text, calls.length > 0 ? { tool_calls: calls } : {}),
      ...done,
    });
  const line = (value: unknown): string => `${JSON.stringify(value)}\n`;
  const content = pieces(text).map((piece) =>
    line({ ...base, message: message(piece), done: false }),
  );
  if (calls.length > 0)
    content.push(line({ ...base, message: message('', { tool_calls: calls }), done: false }));
  return {
    status: 200,
    headers: { 'content-type': 'application/x-ndjson' },
    head: [],
    content,
    tail: [line({ ...base, message: message(''), ...done })],
  };
}

/** The error as it appears inside a stream of `provider`. */
export function streamErrorFrame(provider: ScriptedProvider, error: ScriptedError): string {
  const message = error.message ?? `scripted error ${String(error.status)}`;
  if (provider === 'anthropic')
    return `event: error\ndata: ${JSON.stringify(errorBody(provider, error, message))}\n\n`;
  if (provider === 'openai')
    return `data: ${JSON.stringify(errorBody(provider, error, message))}\n\n`;
  return `${JSON.stringify({ error: message })}\n`;
}
