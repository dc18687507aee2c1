/**
 * The one place a ChatModel is built from `[llm]`. Each provider's client library is loaded
 * only when that provider is chosen, so `mx-agent --help` and the other commands never pay for
 * the three of them.
 */
import type { ServeConfig } from '../config.ts';
import type { ProviderOptions } from './provider-options.ts';
import type { ChatModel } from './types.ts';

/** Limits and plumbing for the models createModel builds. */
export interface ModelOptions {
  /** The longest one call may take, streaming included (default 5 minutes). */
  readonly timeoutMs?: number;
  /** A fetch to use instead of the global one. */
  readonly fetch?: typeof fetch;
}

/** Default time limit of one model call. */
export const DEFAULT_MODEL_TIMEOUT_MS = 300_000;

/** The ChatModel that `[llm]` describes. */
export async function createModel(
  llm: ServeConfig['llm'],
  options: ModelOptions = {},
): Promise<ChatModel> {
  const settings: ProviderOptions = {
    model: llm.model,
    apiKey: llm.apiKey,
    timeoutMs: options.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS,
    ...(llm.baseUrl === undefined ? {} : { baseUrl: llm.baseUrl }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  };
  switch (llm.provider) {
    case 'anthropic': {
      const { createAnthropicModel } = await import('./anthropic.ts');
      return createAnthropicModel(settings);
    }
    case 'openai': {
      const { createOpenaiModel } = await import('./openai.ts');
      return createOpenaiModel(settings);
    }
    case 'ollama': {
      const { createOllamaModel } = await import('./ollama.ts');
      return createOllamaModel(settings);
    }
  }
}

export { completeWithRetries, type RetryNotice, type RetryPolicy } from './retry.ts';
export { ModelError } from './types.ts';
