/**
 * A local model through Ollama's `/api/chat`, streamed as NDJSON
 * (https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion).
 * Ollama gives tool calls no ids, so each gets one here; results go back as `role: 'tool'`
 * messages naming the tool. The library's `chat()` takes no AbortSignal, so the caller's signal
 * and the time limit reach the HTTP request through the `fetch` the library is given.
 */
import { randomUUID } from 'node:crypto';
import { Ollama, type ChatResponse, type Message } from 'ollama';
import { guardCall } from './call-guard.ts';
import { toolCallFrom } from './content.ts';
import { connectionError, displayUrl, httpError, networkFailure, withoutSecret } from './errors.ts';
import { ollamaMessages, ollamaTools } from './ollama-wire.ts';
import type { ProviderOptions } from './provider-options.ts';
import {
  ModelError,
  type ChatModel,
  type ModelRequest,
  type ModelResponse,
  type ToolCall,
} from './types.ts';

const DEFAULT_HOST = 'http://localhost:11434';

/** A ChatModel talking to an Ollama server at `baseUrl` (its `[llm] host`). */
export function createOllamaModel(options: ProviderOptions): ChatModel {
  const host = options.baseUrl ?? DEFAULT_HOST;
  const baseFetch = options.fetch ?? fetch;
  return {
    provider: 'ollama',
    model: options.model,
    accepts: { images: true, pdf: false },
    complete: (request) => {
      // The library keeps a failed response's headers to itself: they are read here, for
      // Retry-After.
      let headers: Headers | undefined;
      const mapError = (error: unknown): ModelError =>
        withoutSecret(ollamaError(error, displayUrl(host), headers), options.apiKey);
      return guardCall(
        { provider: 'ollama', signal: request.signal, timeoutMs: options.timeoutMs, mapError },
        (signal) => {
          const client = new Ollama({
            host,
            fetch: async (input, init) => {
              const response = await baseFetch(input, {
                ...init,
                signal: anySignal(init?.signal, signal),
              });
              headers = response.headers;
              return jsonError(response);
            },
            // Ollama needs no key; one is sent when given (ollama.com, or a proxy in front).
            ...(options.apiKey === ''
              ? {}
              : { headers: { Authorization: `Bearer ${options.apiKey}` } }),
          });
          return stream(client, options.model, request);
        },
      );
    },
  };
}

/**
 * A failed response whose body is not JSON (a proxy's error page) rewritten as Ollama's
 * `{"error": …}`: the library would otherwise read it while printing to stdout.
 */
async function jsonError(response: Response): Promise<Response> {
  if (response.ok || response.headers.get('content-type')?.includes('application/json') === true)
    return response;
  const text = (await response.text()).trim();
  const headers = new Headers(response.headers);
  headers.set('content-type', 'application/json');
  return new Response(JSON.stringify({ error: text === '' ? response.statusText : text }), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

function anySignal(first: AbortSignal | null | undefined, second: AbortSignal): AbortSignal {
  return first == null ? second : AbortSignal.any([first, second]);
}

async function stream(
  client: Ollama,
  model: string,
  request: ModelRequest,
): Promise<ModelResponse> {
  // Ollama has no tool_choice: on the last round of a turn the tools are simply not offered.
  const tools = request.toolChoice === 'none' ? [] : (request.tools ?? []);
  const parts = await client.chat({
    model,
    messages: ollamaMessages(request.system, request.messages),
    ...(tools.length === 0 ? {} : { tools: ollamaTools(tools) }),
    options: { num_predict: request.maxTokens },
    stream: true,
  });
  let text = '';
  const calls: ToolCall[] = [];
  let last: ChatResponse | undefined;
  const batch = randomUUID().slice(0, 8);
  for await (const part of parts) {
    const piece = part.message.content;
    if (piece !== '') {
      text += piece;
      request.onText?.(piece);
    }
    for (const call of part.message.tool_calls ?? [])
      calls.push(callOf(call, `call_${batch}_${String(calls.length)}`));
    last = part;
  }
  if (last?.done !== true)
    throw new ModelError('ollama: the stream ended before "done"', { transient: true });
  return {
    text,
    toolCalls: calls,
    usage: { inputTokens: count(last.prompt_eval_count), outputTokens: count(last.eval_count) },
    stop: calls.length > 0 ? 'tool_use' : last.done_reason === 'length' ? 'max_tokens' : 'end',
  };
}

/** A token count; Ollama leaves prompt_eval_count out when the whole prompt was cached. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * A tool call with an id unique to this answer. Ollama sends arguments as an object; a model
 * that wrote a string instead gets it parsed (or reported) like the other providers' text.
 */
function callOf(call: NonNullable<Message['tool_calls']>[number], id: string): ToolCall {
  const args: unknown = call.function.arguments;
  const text = typeof args === 'string' ? args : JSON.stringify(args ?? {});
  return toolCallFrom(id, call.function.name, text);
}

/** What the Ollama library threw, as a ModelError. Its ResponseError is not exported: duck-typed. */
function ollamaError(error: unknown, where: string, headers: Headers | undefined): ModelError {
  const network = networkFailure(error);
  if (network !== undefined) return connectionError('ollama', where, network, error);
  if (error instanceof Error && error.name === 'ResponseError') {
    const status = (error as Error & { status_code?: unknown }).status_code;
    if (typeof status === 'number')
      return httpError('ollama', status, { message: error.message }, headers, error);
  }
  if (error instanceof Error && error.message.startsWith('Did not receive done'))
    return new ModelError('ollama: the stream ended before "done"', {
      transient: true,
      cause: error,
    });
  // The library throws a plain Error for an `{"error": …}` line inside the stream.
  return new ModelError(`ollama: ${error instanceof Error ? error.message : String(error)}`, {
    transient: false,
    cause: error,
  });
}
