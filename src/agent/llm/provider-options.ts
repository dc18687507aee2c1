/** What each provider's factory is built from: the `[llm]` settings plus call limits. */

/** Settings for one provider's ChatModel. */
export interface ProviderOptions {
  readonly model: string;
  /** May be empty (local servers); never logged or put in a message. */
  readonly apiKey: string;
  /** Where the API is; each provider has its default. */
  readonly baseUrl?: string;
  /** The longest one call may take, streaming included. */
  readonly timeoutMs: number;
  /** A fetch to use instead of the global one. */
  readonly fetch?: typeof fetch;
}
