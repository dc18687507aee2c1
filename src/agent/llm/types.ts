/**
 * The one interface the agent loop uses to talk to a language model. Each provider
 * (Anthropic, Ollama, OpenAI-compatible) implements it with its maintained client library;
 * nothing above this file knows a provider's wire format.
 */
import type { JsonObject } from '../../transport/transport.ts';

/** A tool the model may call: a name, what it does, and a JSON Schema for its input. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: JsonObject;
}

/** One tool call the model asked for. `id` pairs it with its result. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly input: JsonObject;
  /**
   * The arguments exactly as the model wrote them, when they were not a JSON object (`input` is
   * then `{}`). The loop must not run the tool: it answers with an error result naming the
   * problem, so the model can correct itself.
   */
  readonly invalidInput?: string;
}

/** One block of a message's content. */
export type ContentBlock =
  | { readonly type: 'text'; readonly text: string }
  /** An image the model may look at: base64 data and its media type (image/png …). */
  | { readonly type: 'image'; readonly mediaType: string; readonly data: string }
  /** A PDF the model may read (providers that cannot get it as text instead). */
  | {
      readonly type: 'document';
      readonly mediaType: string;
      readonly data: string;
      readonly name?: string;
    }
  | { readonly type: 'tool_call'; readonly call: ToolCall }
  | {
      readonly type: 'tool_result';
      readonly callId: string;
      readonly content: string;
      readonly isError?: boolean;
    };

/** One message of the conversation sent to the model. */
export interface ChatMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string | readonly ContentBlock[];
}

/** One call to the model. */
export interface ModelRequest {
  readonly system: string;
  readonly messages: readonly ChatMessage[];
  /** Tools offered on this call; none (or empty) means the model must answer in text. */
  readonly tools?: readonly ToolSpec[];
  /**
   * `none`: the tools are described (earlier rounds used them) but the model must answer in
   * text now. Default `auto`.
   */
  readonly toolChoice?: 'auto' | 'none';
  readonly maxTokens: number;
  readonly signal?: AbortSignal;
  /** Called with each piece of text as it streams in (the reply so far is their concatenation). */
  readonly onText?: (delta: string) => void;
}

/** Tokens a call used, as the provider reported them (0 when it did not say). */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** What the model answered. */
export interface ModelResponse {
  /** The whole text of the answer (may be empty when it only calls tools). */
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly usage: Usage;
  /** Why it stopped: done, wants tool results, or hit maxTokens. */
  readonly stop: 'end' | 'tool_use' | 'max_tokens';
}

/** A language model behind one provider. */
export interface ChatModel {
  readonly provider: string;
  readonly model: string;
  /**
   * Which attachments this provider takes as content blocks. A block it does not take is not
   * an error: the provider replaces it with a short text note saying what was left out.
   */
  readonly accepts: { readonly images: boolean; readonly pdf: boolean };
  complete(request: ModelRequest): Promise<ModelResponse>;
}

/**
 * A model call that failed. `transient` failures (connection refused or reset, timeouts,
 * HTTP 408/409/429/5xx, Anthropic `overloaded_error`) are worth retrying; others are not.
 */
export class ModelError extends Error {
  readonly transient: boolean;
  readonly status: number | undefined;
  /** How long the provider asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: { transient: boolean; status?: number; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModelError';
    this.transient = options.transient;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}
