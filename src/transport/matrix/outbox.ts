/**
 * The sends of one room, in the order they were made, one event on the wire at a time. Payloads
 * that queue up behind an event in flight leave together as one batch event (batch.ts,
 * specs/protocol.md §4.1.1): on a busy agent each encrypted event costs every member a
 * decryption and identity checks, and that CPU, not the network, is what limits it. Human text
 * is never batched, so every Matrix client shows it; a lone payload goes as its own event.
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject, Outbound, Payload, SendReceipt } from '../transport.ts';
import { batchFits, batchItemBytes, batchItemId, BATCH_EVENT_TYPE, encodeBatch } from './batch.ts';
import { encodeOutbound } from './codec.ts';

/** How an outbox puts one event into its room. */
export interface OutboxContext {
  /** Send one event, retrying until it is accepted or `signal` fires; resolves with its id. */
  sendEvent(type: string, content: JsonObject, txnId: string, signal: AbortSignal): Promise<string>;
  /** Withdraw an event the SDK may still hold unsent (its transaction id). */
  cancel(txnId: string): void;
}

interface Queued {
  readonly content: Outbound;
  readonly txnId: string;
  readonly signal: AbortSignal;
  readonly done: PromiseWithResolvers<SendReceipt>;
  readonly onAbort: () => void;
}

/** One room's queue of sends. */
export class RoomOutbox {
  readonly #ctx: OutboxContext;
  readonly #queue: Queued[] = [];
  #draining = false;

  constructor(ctx: OutboxContext) {
    this.#ctx = ctx;
  }

  /**
   * Queue a send; resolves with the id receivers will see once the event carrying it was
   * accepted. Aborted while still queued, it is dropped; once on the wire it cannot be taken
   * back (as for any event), though the promise rejects.
   */
  submit(content: Outbound, txnId: string, signal: AbortSignal): Promise<SendReceipt> {
    const done = Promise.withResolvers<SendReceipt>();
    if (signal.aborted) {
      done.reject(signal.reason);
      return done.promise;
    }
    const onAbort = (): void => {
      const index = this.#queue.indexOf(entry);
      if (index >= 0) this.#queue.splice(index, 1);
      done.reject(signal.reason);
    };
    const entry: Queued = { content, txnId, signal, done, onAbort };
    signal.addEventListener('abort', onAbort, { once: true });
    this.#queue.push(entry);
    if (!this.#draining) {
      this.#draining = true;
      // One turn of the event loop: sends made together (a layer of tasks to one worker) all
      // join the queue before the first event is formed. A lone send loses well under 1 ms.
      setImmediate(() => {
        void this.#drain();
      });
    }
    return done.promise;
  }

  async #drain(): Promise<void> {
    try {
      for (let group = this.#next(); group.length > 0; group = this.#next()) {
        for (const entry of group) entry.signal.removeEventListener('abort', entry.onAbort);
        await (group.length === 1 ? this.#sendOne(group[0] as Queued) : this.#sendBatch(group));
      }
    } finally {
      this.#draining = false;
    }
  }

  /** The sends that leave as the next event: one, or a run of payloads that fits a batch. */
  #next(): Queued[] {
    const first = this.#queue[0];
    if (first?.content.type !== 'payload') return this.#queue.splice(0, first ? 1 : 0);
    let run = 1;
    while (this.#queue[run]?.content.type === 'payload') run++;
    const sizes = this.#queue.slice(0, run).map((e) => batchItemBytes(payloadOf(e)));
    return this.#queue.splice(0, batchFits(sizes));
  }

  async #sendOne(entry: Queued): Promise<void> {
    try {
      const { type, content } = encodeOutbound(entry.content);
      const id = await this.#ctx.sendEvent(type, content, entry.txnId, entry.signal);
      entry.done.resolve({ id });
    } catch (error) {
      entry.done.reject(error);
    }
  }

  async #sendBatch(group: readonly Queued[]): Promise<void> {
    const txnId = `mxa-${randomUUID()}`;
    // The batch is given up only when every send in it was given up.
    const abandoned = new AbortController();
    let live = group.length;
    const onAbort = (): void => {
      if (--live === 0) abandoned.abort(new Error('every send in the batch was abandoned'));
    };
    for (const entry of group) {
      if (entry.signal.aborted) onAbort();
      else entry.signal.addEventListener('abort', onAbort, { once: true });
    }
    try {
      const content = encodeBatch(group.map(payloadOf));
      const eventId = await this.#ctx.sendEvent(BATCH_EVENT_TYPE, content, txnId, abandoned.signal);
      group.forEach((entry, index) => {
        entry.done.resolve({ id: batchItemId(eventId, index) });
      });
    } catch (error) {
      if (abandoned.signal.aborted) this.#ctx.cancel(txnId);
      for (const entry of group) entry.done.reject(error);
    } finally {
      for (const entry of group) entry.signal.removeEventListener('abort', onAbort);
    }
  }
}

function payloadOf(entry: Queued): Payload {
  if (entry.content.type !== 'payload') throw new TypeError('expected a payload send');
  return entry.content.payload;
}
