/**
 * Outbound messages, in order, surviving reconnects. A send is done when the server has
 * acknowledged it (XEP-0198 `<a/>`), or — on a server without stream management — when it is
 * written. Sends made while disconnected wait in the queue; sends written but not acknowledged
 * when the stream dies are written again on the next stream (peers dedupe on the origin-id).
 * Each send has a deadline: past it, it is dropped from the queue and fails loudly.
 */
import type { Element } from '@xmpp/xml';
import { InterruptedError, NetworkError, type MxAgentError } from '../../errors.ts';
import { formatMs } from '../deadline.ts';
import type { XmppSession } from './session.ts';

interface Pending {
  readonly stanza: Element;
  readonly resolve: () => void;
  readonly reject: (error: MxAgentError) => void;
}

/** The ordered queue of outbound messages of one transport. */
export class Outbox {
  #queue: Pending[] = [];
  #inflight: Pending[] = [];
  #session: XmppSession | undefined;
  #pumping = false;
  readonly #stopAcks: (() => void)[] = [];

  /** Messages waiting to be written or acknowledged. */
  get size(): number {
    return this.#queue.length + this.#inflight.length;
  }

  /** Queue one stanza; resolves once the server has it. */
  send(stanza: Element, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<undefined>();
    const remove = (): void => {
      this.#queue = this.#queue.filter((p) => p !== pending);
      this.#inflight = this.#inflight.filter((p) => p !== pending);
    };
    const timer = setTimeout(() => {
      remove();
      reject(
        new NetworkError(
          `message not delivered within ${formatMs(timeoutMs)}: the server is unreachable`,
        ),
      );
    }, timeoutMs);
    const onAbort = (): void => {
      remove();
      reject(new InterruptedError('send interrupted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const pending: Pending = {
      stanza,
      resolve: () => {
        cleanup();
        resolve(undefined);
      },
      reject: (error) => {
        cleanup();
        remove();
        reject(error);
      },
    };
    this.#queue.push(pending);
    this.#pump();
    return promise;
  }

  /** A new stream is online: listen for its acks and write everything waiting. */
  attach(session: XmppSession): void {
    this.#session = session;
    const sm = session.sm;
    if (sm) {
      const onAck = (stanza: Element): void => {
        const index = this.#inflight.findIndex((p) => p.stanza === stanza);
        if (index >= 0) this.#inflight.splice(index, 1)[0]?.resolve();
      };
      sm.on('ack', onAck);
      this.#stopAcks.push(() => sm.off('ack', onAck));
    }
    this.#pump();
  }

  /** The stream died: unacknowledged messages go back to the front, in their order. */
  detach(): void {
    this.#session = undefined;
    for (const stop of this.#stopAcks.splice(0)) stop();
    this.#queue = [...this.#inflight, ...this.#queue];
    this.#inflight = [];
  }

  /** Fail every waiting message (the transport is closing or cannot reconnect). */
  failAll(error: MxAgentError): void {
    for (const pending of [...this.#inflight, ...this.#queue]) pending.reject(error);
    this.#queue = [];
    this.#inflight = [];
  }

  #pump(): void {
    if (this.#pumping || !this.#session) return;
    this.#pumping = true;
    void this.#drain().finally(() => {
      this.#pumping = false;
    });
  }

  async #drain(): Promise<void> {
    for (;;) {
      const session = this.#session;
      const next = this.#queue[0];
      if (!session || !next) return;
      this.#queue.shift();
      const acked = session.sm?.enabled === true;
      if (acked) this.#inflight.push(next);
      try {
        await session.entity.send(next.stanza);
      } catch {
        // The stream died under us; detach() puts it back (it is in flight, or we re-queue it).
        if (!acked) this.#queue.unshift(next);
        return;
      }
      if (!acked) next.resolve();
    }
  }
}
