/**
 * Any OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, llama.cpp's server, LM Studio,
 * OpenRouter), streamed with `stream_options.include_usage` so the last chunk carries the token
 * counts. Tool-call arguments arrive in pieces keyed by `index` and are joined here. The client
 * library's own retries are off: completeWithRetries (retry.ts) is the one retry policy.
 */
import OpenAI, { APIConnectionError, APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { guardCall } from './call-guard.ts';
import { isJsonObject, toolCallFrom } from './content.ts';
import { connectionError, displayUrl, httpError, networkFailure, withoutSecret } from './errors.ts';
import { openaiMessages, openaiTools } from './openai-wire.ts';
import type { ProviderOptions } from './provider-options.ts';
import { ModelError, type ChatModel, type ModelRequest, type ModelResponse } from './types.ts';

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** A ChatModel talking to an OpenAI-compatible endpoint at `baseUrl`. */
export function createOpenaiModel(options: ProviderOptions): ChatModel {
  const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
  const keyless = options.apiKey === '';
  // Everything is passed explicitly, so the library reads no OPENAI_* variable. Local servers
  // need no key: the library insists on one, so it gets a placeholder and the header is dropped.
  const client = new OpenAI({
    apiKey: keyless ? 'no-key' : options.apiKey,
    adminAPIKey: null,
    organization: null,
    project: null,
    baseURL: baseUrl,
    maxRetries: 0,
    // The library's own limit (default 10 minutes, up to the response headers) must not come
    // first: call-guard.ts enforces timeoutMs over the whole call and says so.
    timeout: options.timeoutMs + 1000,
    ...(keyless ? { defaultHeaders: { Authorization: null } } : {}),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  // OpenAI itself refuses `max_tokens` for its reasoning models; the compatible servers all
  // know `max_tokens`, not all `max_completion_tokens`.
  const officialApi = URL.canParse(baseUrl) && new URL(baseUrl).hostname === 'api.openai.com';
  const mapError = (error: unknown): ModelError =>
    withoutSecret(openaiError(error, displayUrl(baseUrl)), options.apiKey);
  return {
    provider: 'openai',
    model: options.model,
    accepts: { images: true, pdf: false },
    complete: (request) =>
      guardCall(
        { provider: 'openai', signal: request.signal, timeoutMs: options.timeoutMs, mapError },
        (signal) => stream(client, options.model, officialApi, request, signal),
      ),
  };
}

/** One tool call being assembled from its pieces. */
interface PendingCall {
  id: string;
  name: string;
  args: string;
}

async function stream(
  client: OpenAI,
  model: string,
  officialApi: boolean,
  request: ModelRequest,
  signal: AbortSignal,
): Promise<ModelResponse> {
  const tools = request.tools ?? [];
  const chunks = await client.chat.completions.create(
    {
      model,
      messages: openaiMessages(request.system, request.messages),
      ...(officialApi
        ? { max_completion_tokens: request.maxTokens }
        : // eslint-disable-next-line @typescript-eslint/no-deprecated -- what compatible servers read
          { max_tokens: request.maxTokens }),
      ...(tools.length === 0 ? {} : { tools: openaiTools(tools) }),
      ...(tools.length > 0 && request.toolChoice === 'none'
        ? { tool_choice: 'none' as const }
        : {}),
      stream: true,
      stream_options: { include_usage: true },
    },
    { signal },
  );
  let text = '';
  const calls = new Map<number, PendingCall>();
  let finish: ChatCompletionChunk.Choice['finish_reason'] = null;
  let usage = { inputTokens: 0, outputTokens: 0 };
  for await (const chunk of chunks) {
    if (chunk.usage != null)
      usage = {
        inputTokens: chunk.usage.prompt_tokens,
        outputTokens: chunk.usage.completion_tokens,
      };
    const choice = chunk.choices[0];
    if (choice === undefined) continue;
    const piece = choice.delta.content;
    if (typeof piece === 'string' && piece !== '') {
      text += piece;
      request.onText?.(piece);
    }
    (choice.delta.tool_calls ?? []).forEach((delta, position) => {
      addToolDelta(calls, delta, position);
    });
    if (choice.finish_reason != null) finish = choice.finish_reason;
  }
  if (finish === null)
    throw new ModelError('openai: the stream ended before a finish_reason', { transient: true });
  const toolCalls = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, call]) =>
      toolCallFrom(call.id === '' ? `call_${String(index)}` : call.id, call.name, call.args),
    );
  return { text, toolCalls, usage, stop: stopOf(finish, toolCalls.length > 0) };
}

/**
 * Join one tool-call delta. The first piece of a call has its id and name; later pieces add to
 * the arguments. Some servers repeat the id and name on every piece, or leave `index` out when
 * they send each call whole.
 */
function addToolDelta(
  calls: Map<number, PendingCall>,
  delta: ChatCompletionChunk.Choice.Delta.ToolCall,
  position: number,
): void {
  const index = typeof delta.index === 'number' ? delta.index : position;
  const call = calls.get(index) ?? { id: '', name: '', args: '' };
  calls.set(index, call);
  if (call.id === '' && typeof delta.id === 'string') call.id = delta.id;
  const fn = delta.function;
  if (fn === undefined) return;
  if (call.name === '' && typeof fn.name === 'string') call.name = fn.name;
  if (typeof fn.arguments === 'string') call.args += fn.arguments;
}

/** finish_reason in our terms; a server saying "stop" after tool calls still wants results. */
function stopOf(
  finish: NonNullable<ChatCompletionChunk.Choice['finish_reason']>,
  calledTools: boolean,
): ModelResponse['stop'] {
  if (finish === 'tool_calls' || finish === 'function_call' || calledTools) return 'tool_use';
  if (finish === 'length') return 'max_tokens';
  return 'end';
}

/** What the OpenAI library threw, as a ModelError. */
function openaiError(error: unknown, where: string): ModelError {
  if (error instanceof APIConnectionError)
    return connectionError('openai', where, networkFailure(error) ?? error.message, error);
  if (error instanceof APIError && typeof error.status === 'number') {
    const body: unknown = error.error;
    const fields = isJsonObject(body) ? body : {};
    const type = typeof fields.type === 'string' ? fields.type : undefined;
    const code = typeof fields.code === 'string' ? fields.code : undefined;
    const message = typeof fields.message === 'string' ? fields.message : undefined;
    return httpError(
      'openai',
      error.status,
      { type: code ?? type, message: message ?? error.message },
      error.headers as Headers | undefined,
      error,
      // OpenAI answers 429 also when the account's quota is used up: waiting will not help.
      code === 'insufficient_quota' ? false : undefined,
    );
  }
  const network = networkFailure(error);
  if (network !== undefined) return connectionError('openai', where, network, error);
  return new ModelError(`openai: ${error instanceof Error ? error.message : String(error)}`, {
    transient: false,
    cause: error,
  });
}
