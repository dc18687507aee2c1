import type { Transport, TransportEvent } from '../../src/transport/transport.ts';

/** Records every event of a transport and waits for the ones a test expects. */
export class EventRecorder {
  readonly events: TransportEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly stop: () => void;

  constructor(transport: Transport) {
    this.stop = transport.subscribe((event) => {
      this.events.push(event);
      for (const wake of [...this.#waiters]) wake();
    });
  }

  /** The first recorded event (past or future) matching `match`; rejects after `timeoutMs`. */
  async waitFor<T extends TransportEvent>(
    match: (event: TransportEvent) => event is T,
    timeoutMs?: number,
  ): Promise<T>;
  async waitFor(
    match: (event: TransportEvent) => boolean,
    timeoutMs?: number,
  ): Promise<TransportEvent>;
  async waitFor(
    match: (event: TransportEvent) => boolean,
    timeoutMs = 10_000,
  ): Promise<TransportEvent> {
    const found = this.events.find(match);
    if (found) return found;
    const { promise, resolve, reject } = Promise.withResolvers<TransportEvent>();
    const wake = (): void => {
      const hit = this.events.find(match);
      if (hit) resolve(hit);
    };
    this.#waiters.add(wake);
    const timer = setTimeout(() => {
      reject(
        new Error(`no matching event within ${String(timeoutMs)} ms; saw: ${this.describe()}`),
      );
    }, timeoutMs);
    try {
      return await promise;
    } finally {
      clearTimeout(timer);
      this.#waiters.delete(wake);
    }
  }

  /** Wait until `count` events match. */
  async waitForCount(
    match: (event: TransportEvent) => boolean,
    count: number,
    timeoutMs = 10_000,
  ): Promise<TransportEvent[]> {
    await this.waitFor(() => this.events.filter(match).length >= count, timeoutMs);
    return this.events.filter(match);
  }

  /** Text of inbound text messages, in arrival order. */
  texts(): string[] {
    return this.events.flatMap((e) => (e.type === 'text' ? [e.text] : []));
  }

  describe(): string {
    return JSON.stringify(this.events.slice(-8), (_k, v: unknown) =>
      v instanceof Error ? v.message : v,
    );
  }
}
