import type { TransportEvent, TransportListener } from './transport.ts';

/**
 * What a person or peer sent: kept when it arrives before anyone listens. A transport that
 * connects delivers at once what waited for it on the server (Matrix catches up on its sync,
 * XMPP servers flush what they stored); the transport is only handed to its listeners after
 * `connect()` resolves, and the server counts these as delivered.
 */
const KEPT = new Set<TransportEvent['type']>(['text', 'payload', 'reaction', 'confirmation']);

/** At most this many events wait for the first listener (a transport nobody listens to: a send-only command). */
const MAX_KEPT = 1000;

/**
 * The set of listeners of one transport. A throwing listener never breaks delivery to others.
 * Inbound messages that come before the first listener is added are kept and delivered, in
 * order, once every listener added in that same turn of the event loop is in place.
 */
export class Listeners {
  readonly #listeners = new Set<TransportListener>();
  readonly #onListenerError: (error: unknown) => void;
  /** Events waiting for the first listener; undefined once they were handed over. */
  #kept: TransportEvent[] | undefined = [];
  #flushing = false;

  constructor(onListenerError: (error: unknown) => void = () => undefined) {
    this.#onListenerError = onListenerError;
  }

  /** Add a listener; returns its removal. */
  add(listener: TransportListener): () => void {
    this.#listeners.add(listener);
    if (this.#kept !== undefined && !this.#flushing) {
      this.#flushing = true;
      queueMicrotask(() => {
        const kept = this.#kept ?? [];
        this.#kept = undefined;
        for (const event of kept) this.#deliver(event);
      });
    }
    return () => this.#listeners.delete(listener);
  }

  /** Deliver one event to every listener (or keep it for the first one, see above). */
  emit(event: TransportEvent): void {
    if (this.#kept !== undefined && KEPT.has(event.type)) {
      if (this.#kept.length < MAX_KEPT) this.#kept.push(event);
      return;
    }
    this.#deliver(event);
  }

  #deliver(event: TransportEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}
