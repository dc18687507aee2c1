/**
 * Claude through Anthropic's Messages API, streamed (`stream: true`; the events are described at
 * https://docs.anthropic.com/en/api/messages-streaming). The client library's own retries are
 * off: completeWithRetries (retry.ts) is the one retry policy.
 */
import Anthropic, { APIConnectionError, APIError } from '@anthropic-ai/sdk';
import { anthropicMessages, anthropicTools } from './anthropic-wire.ts';
import { guardCall } from './call-guard.ts';
import { toolCallFrom } from './content.ts';
import {
  connectionError,
  displayUrl,
  httpError,
  networkFailure,
  transientType,
  withoutSecret,
  type ErrorBody,
} from './errors.ts';
import type { ProviderOptions } from './provider-options.ts';
import { ModelError, type ChatModel, type ModelRequest, type ModelResponse } from './types.ts';

const DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** A ChatModel talking to Anthropic (or anything speaking its Messages API at `baseUrl`). */
export function createAnthropicModel(options: ProviderOptions): ChatModel {
  const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
  // The key is passed even when empty, so the library never looks for credentials elsewhere
  // (environment variables, profile files): the config file is the one source.
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: baseUrl,
    maxRetries: 0,
    // The library's own limit (default 10 minutes, up to the response headers) must not come
    // first: call-guard.ts enforces timeoutMs over the whole call and says so.
    timeout: options.timeoutMs + 1000,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const mapError = (error: unknown): ModelError =>
    withoutSecret(anthropicError(error, displayUrl(baseUrl)), options.apiKey);
  return {
    provider: 'anthropic',
    model: options.model,
    accepts: { images: true, pdf: true },
    complete: (request) =>
      guardCall(
        { provider: 'anthropic', signal: request.signal, timeoutMs: options.timeoutMs, mapError },
        (signal) => stream(client, options.model, request, signal),
      ),
  };
}

/** What the stream has said so far. */
interface Progress {
  text: string;
  readonly tools: Map<number, { id: string; name: string; json: string }>;
  inputTokens: number;
  outputTokens: number;
  stopReason: string | null;
  finished: boolean;
}

async function stream(
  client: Anthropic,
  model: string,
  request: ModelRequest,
  signal: AbortSignal,
): Promise<ModelResponse> {
  const tools = request.tools ?? [];
  const events = await client.messages.create(
    {
      model,
      max_tokens: request.maxTokens,
      ...(request.system === '' ? {} : { system: request.system }),
      messages: anthropicMessages(request.messages),
      ...(tools.length === 0 ? {} : { tools: anthropicTools(tools) }),
      // The last round of a turn: the tools stay described (earlier rounds used them), none may be called.
      ...(tools.length > 0 && request.toolChoice === 'none'
        ? { tool_choice: { type: 'none' } }
        : {}),
      stream: true,
    },
    { signal },
  );
  const progress: Progress = {
    text: '',
    tools: new Map(),
    inputTokens: 0,
    outputTokens: 0,
    stopReason: null,
    finished: false,
  };
  for await (const event of events) apply(progress, event, request.onText);
  if (!progress.finished)
    throw new ModelError('anthropic: the stream ended before message_stop', { transient: true });
  const toolCalls = [...progress.tools.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, call]) => toolCallFrom(call.id, call.name, call.json));
  return {
    text: progress.text,
    toolCalls,
    usage: { inputTokens: progress.inputTokens, outputTokens: progress.outputTokens },
    stop: stopOf(progress.stopReason, toolCalls.length > 0),
  };
}

/** Fold one stream event into `progress`. Events we do not use (ping, thinking) pass by. */
function apply(
  progress: Progress,
  event: Anthropic.RawMessageStreamEvent,
  onText: ((delta: string) => void) | undefined,
): void {
  switch (event.type) {
    case 'message_start':
      progress.inputTokens = event.message.usage.input_tokens;
      progress.outputTokens = event.message.usage.output_tokens;
      return;
    case 'content_block_start': {
      const block = event.content_block;
      if (block.type === 'tool_use')
        progress.tools.set(event.index, { id: block.id, name: block.name, json: '' });
      else if (block.type === 'text' && block.text !== '') addText(progress, block.text, onText);
      return;
    }
    case 'content_block_delta': {
      const delta = event.delta;
      if (delta.type === 'text_delta') addText(progress, delta.text, onText);
      else if (delta.type === 'input_json_delta') {
        const call = progress.tools.get(event.index);
        if (call !== undefined) call.json += delta.partial_json;
      }
      return;
    }
    case 'message_delta':
      progress.stopReason = event.delta.stop_reason;
      // message_delta's usage is cumulative (docs: "token counts ... are cumulative").
      progress.outputTokens = event.usage.output_tokens;
      if (typeof event.usage.input_tokens === 'number')
        progress.inputTokens = event.usage.input_tokens;
      return;
    case 'message_stop':
      progress.finished = true;
      return;
    case 'content_block_stop':
      return;
  }
}

function addText(
  progress: Progress,
  text: string,
  onText: ((delta: string) => void) | undefined,
): void {
  progress.text += text;
  onText?.(text);
}

/** Anthropic's stop_reason in our terms. */
function stopOf(reason: string | null, calledTools: boolean): ModelResponse['stop'] {
  if (reason === 'tool_use' || calledTools) return 'tool_use';
  if (reason === 'max_tokens' || reason === 'model_context_window_exceeded') return 'max_tokens';
  return 'end';
}

/** What the Anthropic library threw, as a ModelError. */
function anthropicError(error: unknown, where: string): ModelError {
  if (error instanceof APIConnectionError)
    return connectionError('anthropic', where, describe(error), error);
  if (error instanceof APIError) {
    const failure = error as APIError;
    // A body that was not JSON (a proxy's error page) is only in the message, after the status.
    const text = failure.error === undefined ? failure.message.replace(/^\d+ /, '') : undefined;
    const body = { type: failure.type ?? undefined, message: failure.apiMessage ?? text };
    if (typeof failure.status === 'number')
      return httpError('anthropic', failure.status, body, failure.headers, failure);
    // An `error` event inside a 200 stream (e.g. overloaded_error): no status, a type.
    return httpErrorInStream(body, failure);
  }
  const network = networkFailure(error);
  if (network !== undefined) return connectionError('anthropic', where, network, error);
  return new ModelError(`anthropic: ${error instanceof Error ? error.message : String(error)}`, {
    transient: false,
    cause: error,
  });
}

function httpErrorInStream(body: ErrorBody, error: Error): ModelError {
  const detail = [body.type, body.message].filter((part) => part !== undefined).join(': ');
  return new ModelError(`anthropic: error in the stream: ${detail || error.message}`, {
    transient: transientType(body.type),
    cause: error,
  });
}

function describe(error: APIConnectionError): string {
  return networkFailure(error) ?? error.message;
}
