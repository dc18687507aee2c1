/** A bounded set of recently seen message keys, to drop duplicates after reconnects. */
export class RecentIds {
  readonly #capacity: number;
  readonly #seen = new Set<string>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Record `key`; false when it was already seen. */
  add(key: string): boolean {
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    if (this.#seen.size > this.#capacity) {
      // Sets iterate in insertion order: the first key is the oldest.
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return true;
  }
}
