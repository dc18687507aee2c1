import { MatrixError } from './matrix-error.ts';

/** Synapse-like limits: a burst, refilled at a steady rate per second. */
export interface RateLimitOptions {
  readonly perSecond: number;
  readonly burst: number;
}

/**
 * A token bucket per key (user). Over the limit a request gets 429 M_LIMIT_EXCEEDED with
 * `retry_after_ms`, as Synapse answers and as clients must honour.
 */
export class RateLimiter {
  readonly #options: RateLimitOptions | undefined;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: RateLimitOptions | undefined) {
    this.#options = options;
  }

  /** Take one token for `key`, or throw 429. No-op when limiting is off. */
  take(key: string, now = Date.now()): void {
    const options = this.#options;
    if (!options) return;
    const bucket = this.#buckets.get(key) ?? { tokens: options.burst, at: now };
    bucket.tokens = Math.min(
      options.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * options.perSecond,
    );
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      const retryAfterMs = Math.ceil(((1 - bucket.tokens) / options.perSecond) * 1000);
      throw new MatrixError(429, 'M_LIMIT_EXCEEDED', 'too many requests', {
        retry_after_ms: retryAfterMs,
      });
    }
    bucket.tokens -= 1;
  }
}
