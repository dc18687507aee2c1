/**
 * The pairing messages that reach this side, in order, for the exchange to take one at a time.
 * Subscribed before the first send, so an answer that comes fast is not missed; a message
 * delivered twice (after a reconnect, same id) is kept once. A connection that ends for good
 * fails every wait.
 */
import { NetworkError } from '../errors.ts';
import type { InboundMessage, Payload, Transport } from '../transport/transport.ts';
import { isPairingKind } from './pairing-messages.ts';

/** A pairing payload that arrived directly from `from`. */
export interface PairingDelivery {
  readonly from: string;
  readonly payload: Payload;
  readonly timestamp: number;
  readonly delayed: boolean;
}

/** Direct pairing payloads as they arrive. */
export class PairingInbox {
  readonly #queue: PairingDelivery[] = [];
  readonly #seen = new Set<string>();
  readonly #unsubscribe: () => void;
  #wake: (() => void) | undefined;
  #failure: Error | undefined;

  constructor(transport: Transport) {
    this.#unsubscribe = transport.subscribe((event) => {
      if (event.type === 'connection' && (event.state === 'offline' || event.state === 'closed')) {
        this.#failure ??= new NetworkError(
          `the connection ${event.state === 'closed' ? 'was closed' : 'ended'} during the pairing${event.error ? `: ${event.error.message}` : ''}; nothing was trusted`,
        );
        this.#notify();
        return;
      }
      if (event.type === 'payload') this.#add(event);
    });
  }

  /** The next delivery; rejects when `signal` fires (with its reason) or the connection ends. */
  async next(signal: AbortSignal): Promise<PairingDelivery> {
    for (;;) {
      const first = this.#queue.shift();
      if (first !== undefined) return first;
      if (this.#failure !== undefined) throw this.#failure;
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.#wake = undefined;
          resolve();
        };
        this.#wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Stop listening. */
  close(): void {
    this.#unsubscribe();
    this.#notify();
  }

  #add(message: InboundMessage & { type: 'payload' }): void {
    if (message.target.kind !== 'direct' || !isPairingKind(message.payload.kind)) return;
    if (this.#seen.has(message.id)) return;
    this.#seen.add(message.id);
    const { from, payload, timestamp, delayed } = message;
    this.#queue.push({ from, payload, timestamp, delayed });
    this.#notify();
  }

  #notify(): void {
    this.#wake?.();
  }
}
