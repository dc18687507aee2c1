/**
 * Wakes long-polling /sync requests when something new is stored. A waiter resolves as soon as
 * the stream moves past the position it has seen, or when its timeout ends.
 */
export class Notifier {
  #position = 0;
  readonly #waiters = new Set<() => void>();

  /** Something new was stored at stream position `position` (or anything that /sync shows). */
  notify(position?: number): void {
    if (position !== undefined) this.#position = Math.max(this.#position, position);
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolve on the next notify, or after `timeoutMs`, or when `signal` aborts. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      // A pending long-poll must not keep a stopped server's process alive.
      const timer = setTimeout(done, timeoutMs).unref();
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
