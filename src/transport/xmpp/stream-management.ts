/**
 * XEP-0198 stream management, the part we need: acknowledgements. The server tells us how many
 * of our stanzas it has handled, so a send is only "done" once it is safe on the server; what
 * was never acknowledged when a stream dies is sent again on the next one (see outbox.ts).
 *
 * Not @xmpp/stream-management: it resets its inbound counter asynchronously after `<enabled/>`,
 * so stanzas arriving in the same TCP read are miscounted and Prosody ends the stream with
 * "Client acknowledged more stanzas than sent by server". Here counting is synchronous, in
 * arrival order. We do not resume streams (§5): each reconnection is a fresh session.
 */
import { EventEmitter } from 'node:events';
import type { Client } from '@xmpp/client-core';
import { xml, type Element } from '@xmpp/xml';

export const NS_SM = 'urn:xmpp:sm:3';
const STANZAS = new Set(['message', 'presence', 'iq']);

/** Acknowledgement bookkeeping for one stream. Emits `ack` with each acknowledged stanza. */
export class StreamManagement extends EventEmitter<{ ack: [Element] }> {
  #enabled = false;
  #counting = false;
  #inbound = 0;
  #acked = 0;
  readonly #unacked: Element[] = [];
  readonly #entity: Client;
  #requestTimer: NodeJS.Timeout | undefined;

  constructor(entity: Client) {
    super();
    this.#entity = entity;
    entity.on('element', (element: Element) => {
      this.#onInbound(element);
    });
    entity.on('send', (element: Element) => {
      if (this.#counting && STANZAS.has(element.name)) {
        this.#unacked.push(element);
        this.#scheduleRequest();
      }
    });
  }

  /** True once the server confirmed `<enabled/>`. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Send `<enable/>` and wait for the answer; false when the server refused. */
  async enable(timeoutMs: number): Promise<boolean> {
    const answer = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        done(false);
      }, timeoutMs);
      const onElement = (element: Element): void => {
        if (element.is('enabled', NS_SM)) done(true);
        else if (element.is('failed', NS_SM)) done(false);
      };
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.#entity.off('element', onElement);
        resolve(ok);
      };
      this.#entity.on('element', onElement);
    });
    // §4: our outbound counter starts when we send <enable/>.
    this.#counting = true;
    await this.#entity.send(xml('enable', { xmlns: NS_SM }));
    const ok = await answer;
    if (!ok) {
      this.#counting = false;
      this.#unacked.length = 0;
    } else if (this.#unacked.length > 0) this.#scheduleRequest();
    return ok;
  }

  /** Stop timers; the stream is gone. */
  stop(): void {
    clearTimeout(this.#requestTimer);
    this.#counting = false;
  }

  #onInbound(element: Element): void {
    if (element.is('enabled', NS_SM)) {
      // §4: the inbound counter starts at zero when <enabled/> arrives — synchronously, so
      // stanzas that follow in the same read are counted.
      this.#enabled = true;
      this.#inbound = 0;
      return;
    }
    if (!this.#enabled) return;
    if (STANZAS.has(element.name)) this.#inbound += 1;
    else if (element.is('r', NS_SM)) {
      this.#entity
        .send(xml('a', { xmlns: NS_SM, h: String(this.#inbound) }))
        .catch(() => undefined);
    } else if (element.is('a', NS_SM)) this.#onAck(Number(element.attrs.h));
  }

  #onAck(h: number): void {
    // h counts modulo 2^32 (§4); a stream of ours never gets near that.
    if (!Number.isInteger(h) || h < this.#acked) return;
    const newly = Math.min(h - this.#acked, this.#unacked.length);
    this.#acked = h;
    for (const stanza of this.#unacked.splice(0, newly)) this.emit('ack', stanza);
  }

  /** Ask for an acknowledgement shortly after a burst of sends. */
  #scheduleRequest(): void {
    if (this.#requestTimer) return;
    this.#requestTimer = setTimeout(() => {
      this.#requestTimer = undefined;
      if (this.#enabled) this.#entity.send(xml('r', { xmlns: NS_SM })).catch(() => undefined);
    }, 10);
  }
}
