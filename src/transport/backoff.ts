/**
 * Reconnection delays: exponential with full jitter (so a fleet of agents does not reconnect in
 * lock-step after a server restart), bounded, and reset once a connection has stayed up for
 * `stableMs` (a flapping link keeps backing off; a long-lived one starts fresh).
 */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly stableMs: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  readonly random?: () => number;
  /** Clock in ms; injectable for tests. */
  readonly now?: () => number;
}

/** Default bounds: first retry within 0.5 s, never more than 30 s apart, reset after 60 s up. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, stableMs: 60_000 };

/** Computes the delay before each reconnection attempt. */
export class Backoff {
  readonly #options: BackoffOptions;
  #attempt = 0;
  #connectedAt: number | undefined;

  constructor(options: BackoffOptions = DEFAULT_BACKOFF) {
    this.#options = options;
  }

  /** How many consecutive failures (or drops of unstable connections) since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** Record that a connection came up. */
  connected(): void {
    this.#connectedAt = this.#now();
  }

  /** The delay before the next attempt; call once per disconnect or failed attempt. */
  nextDelay(): number {
    const { initialMs, maxMs, stableMs } = this.#options;
    if (this.#connectedAt !== undefined && this.#now() - this.#connectedAt >= stableMs) {
      this.#attempt = 0;
    }
    this.#connectedAt = undefined;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    // Full jitter, but never below a tenth of the ceiling so a retry storm cannot form at 0 ms.
    const random = this.#options.random ?? Math.random;
    return Math.round(ceiling / 10 + random() * ceiling * 0.9);
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}
