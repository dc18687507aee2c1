/**
 * From live timeline events to what the transport delivers: in timeline order per room
 * (decryption finishes in any order, so an event still being decrypted holds back those after
 * it), history and our own echoes skipped, plaintext in an encrypted room and malformed events
 * rejected, undecryptable ones reported once and delivered when their key arrives, and each
 * event delivered once across restarts (the ledger; a batch is one event, its payloads
 * delivered together) — save for a process killed between delivering an event and recording
 * it, whose successor delivers it again. Events a limited sync skipped are read back (gap.ts)
 * and delivered in their place: the live events after a gap wait for it.
 */
import type { MatrixEvent, Room } from 'matrix-js-sdk';
import type * as T from '../transport.ts';
import { batchItemId } from './batch.ts';
import { decodeEvent, EVENT_PREFIX, type Decoded } from './codec.ts';

/** What the pipeline needs from its transport. */
export interface InboundContext {
  readonly userId: string;
  /** Events of a room before this time are history. */
  floor(roomId: string): number;
  /** True when the event was delivered before (by this or an earlier process). */
  delivered(eventId: string): boolean;
  /** Record a delivery. */
  record(eventId: string): void;
  /** True for a room known to be encrypted. */
  encrypted(roomId: string): boolean;
  /** The peer of a direct room, undefined for a workspace. */
  directPeer(roomId: string): string | undefined;
  /** The workspace name of a room, as users know it. */
  nameOf(roomId: string): string;
  /** When the current online period began: older events arrive delayed. */
  onlineSince(): number;
  emit(event: T.TransportEvent): void;
}

/** Where the events a limited sync skipped belong in a room's queue, until they are read. */
export class Gap {
  readonly roomId: string;

  constructor(roomId: string) {
    this.roomId = roomId;
  }
}

/** The inbound pipeline of one transport. */
export class Inbound {
  readonly #ctx: InboundContext;
  /** Live events per room waiting for earlier ones to finish decrypting, or for a gap. */
  readonly #queues = new Map<string, (MatrixEvent | Gap)[]>();
  /** Undecryptable events reported once each, delivered when their key arrives. */
  readonly #undecryptable = new Set<string>();
  readonly #reported = new Set<string>();

  constructor(ctx: InboundContext) {
    this.#ctx = ctx;
  }

  /** Take a live timeline event in. */
  enqueue(event: MatrixEvent, room: Room): void {
    if (!this.#wanted(event, room.roomId)) return;
    this.#queue(room.roomId).push(event);
    this.#drain(room);
  }

  /** A limited sync skipped events here: what comes after waits until `fill` brings them. */
  hold(roomId: string): Gap {
    const gap = new Gap(roomId);
    this.#queue(roomId).push(gap);
    return gap;
  }

  /** The events of a gap, oldest first (none when they could not be read): deliver in place. */
  fill(gap: Gap, room: Room, events: readonly MatrixEvent[]): void {
    const queue = this.#queue(gap.roomId);
    const at = queue.indexOf(gap);
    if (at < 0) return;
    queue.splice(at, 1, ...events.filter((event) => this.#wanted(event, gap.roomId)));
    this.#drain(room);
  }

  #wanted(event: MatrixEvent, roomId: string): boolean {
    const id = event.getId();
    const sender = event.getSender();
    if (!id || !sender || id.startsWith('~') || event.isState()) return false;
    if (sender === this.#ctx.userId) return false;
    // Only what is known to be older than the floor is history (an event without a timestamp is not).
    return !(event.getTs() < this.#ctx.floor(roomId));
  }

  #queue(roomId: string): (MatrixEvent | Gap)[] {
    let queue = this.#queues.get(roomId);
    if (!queue) {
      queue = [];
      this.#queues.set(roomId, queue);
    }
    return queue;
  }

  /** An event finished decrypting (now, or after its key arrived). */
  decrypted(event: MatrixEvent, room: Room): void {
    if (this.#undecryptable.has(event.getId() ?? '')) this.#consider(event, room);
    else this.#drain(room);
  }

  #drain(room: Room): void {
    const queue = this.#queues.get(room.roomId);
    for (let head = queue?.[0]; head !== undefined; head = queue?.[0]) {
      if (head instanceof Gap || head.isBeingDecrypted() || head.shouldAttemptDecryption()) break;
      this.#consider(queue?.shift() as MatrixEvent, room);
    }
    if (queue?.length === 0) this.#queues.delete(room.roomId);
  }

  #consider(event: MatrixEvent, room: Room): void {
    const ctx = this.#ctx;
    const id = event.getId() ?? '';
    const sender = event.getSender() ?? '';
    if (event.isDecryptionFailure()) {
      if (!this.#reported.has(id)) {
        this.#undecryptable.add(id);
        this.#reported.add(id);
        ctx.emit({
          type: 'rejected',
          from: sender,
          reason: `cannot decrypt event ${id} from ${sender} in ${ctx.nameOf(room.roomId)} yet (${event.decryptionFailureReason ?? 'no key'}); it is delivered if its key arrives`,
        });
      }
      return;
    }
    this.#undecryptable.delete(id);
    const decoded = decodeTimelineEvent(event, ctx.encrypted(room.roomId), ctx.nameOf(room.roomId));
    if (!decoded) return;
    if (decoded.type === 'rejected') {
      ctx.emit({ type: 'rejected', from: sender, reason: decoded.reason });
      return;
    }
    // Recorded after the listeners had it: a process killed in between gets the event again
    // from its older sync token, and listeners recognise it by id; recorded first, it was lost.
    if (ctx.delivered(id)) return;
    const target: T.Target =
      ctx.directPeer(room.roomId) !== undefined
        ? { kind: 'direct', address: sender }
        : { kind: 'workspace', workspace: ctx.nameOf(room.roomId) };
    const common = { id, from: sender, target, timestamp: event.getTs() };
    if (decoded.type === 'reaction') {
      const { reactsTo, key } = decoded;
      // Sent in plaintext (as every client does), so the homeserver could have made it up.
      const forgeable = event.getWireType() !== 'm.room.encrypted' && ctx.encrypted(room.roomId);
      ctx.emit({
        type: 'reaction',
        ...common,
        reactsTo,
        emojis: [key],
        ...(forgeable ? { forgeable: true } : {}),
      });
    } else {
      const delayed = event.getTs() < ctx.onlineSince();
      for (const message of inboundMessages(decoded, { ...common, delayed })) ctx.emit(message);
    }
    ctx.record(id);
  }
}

/**
 * What a (decrypted) timeline event carries for us, for live delivery and history alike:
 * text, a payload, a rejection, or undefined when it is not input. Our content in plaintext in
 * an encrypted room is rejected: the server, not a member, could have put it there.
 */
export function decodeTimelineEvent(
  event: MatrixEvent,
  roomEncrypted: boolean,
  roomName: string,
): Decoded {
  const type = event.getType();
  const plaintext = event.getWireType() !== 'm.room.encrypted';
  // Reactions are exempt: every client sends them in plaintext (reactions.ts).
  if (plaintext && roomEncrypted && (type.startsWith(EVENT_PREFIX) || type === 'm.room.message')) {
    const sender = event.getSender() ?? '';
    return {
      type: 'rejected',
      reason: `dropped plaintext event ${event.getId() ?? ''} from ${sender} in the encrypted room ${roomName}`,
    };
  }
  return decodeEvent(type, event.getContent());
}

/**
 * The messages a decoded event delivers, oldest first: one, or one per payload of a batch
 * (specs/protocol.md §4.1.1), each with the id `${eventId}#${index}`.
 */
export function inboundMessages(
  decoded: Exclude<Decoded, { type: 'rejected' | 'reaction' } | undefined>,
  common: Omit<T.InboundMessage, 'type' | 'text' | 'payload'>,
): T.InboundMessage[] {
  switch (decoded.type) {
    case 'text': {
      const { type, ...text } = decoded;
      return [{ ...common, type, ...text }];
    }
    case 'payload':
      return [{ ...common, type: 'payload', payload: decoded.payload }];
    case 'batch':
      return decoded.payloads.map((payload, index) => ({
        ...common,
        id: batchItemId(common.id, index),
        type: 'payload',
        payload,
      }));
  }
}
