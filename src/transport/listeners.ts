import type { TransportEvent, TransportListener } from './transport.ts';

/** The set of listeners of one transport. A throwing listener never breaks delivery to others. */
export class Listeners {
  readonly #listeners = new Set<TransportListener>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = () => undefined) {
    this.#onListenerError = onListenerError;
  }

  /** Add a listener; returns its removal. */
  add(listener: TransportListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Deliver one event to every listener. */
  emit(event: TransportEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}
