/**
 * Keeps the agent out of reply loops with other bots: a sender may get at most `max` answers
 * per `windowMs` in a conversation; past that the agent stays silent to them until the window
 * has room again. A person typing by hand stays far below the limit.
 */

/** A sliding-window limit per key. */
export class LoopGuard {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #hits = new Map<string, number[]>();

  constructor(max = 8, windowMs = 60_000, now: () => number = Date.now) {
    this.#max = max;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Count one answer to `key`; false when that would exceed the limit. */
  allow(key: string): boolean {
    const now = this.#now();
    const recent = (this.#hits.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    if (recent.length >= this.#max) {
      this.#hits.set(key, recent);
      return false;
    }
    recent.push(now);
    this.#hits.set(key, recent);
    return true;
  }
}
