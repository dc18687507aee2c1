/**
 * Live events a limited sync skipped. After an outage (the homeserver restarted, the network
 * was cut, the process was down) the next /sync returns only the newest events of a busy room
 * with `limited: true` and a `prev_batch` token (Client-Server API v1.11, "Syncing": Synapse
 * and the dev homeserver send 10 unless the filter asks for more). The events before them were
 * never seen: they are read back with `/messages` from `prev_batch` (dir=b) until the last
 * event seen live before the gap, one already delivered, or the room's floor, and handed to
 * the inbound pipeline ahead of the sync's own (inbound.ts `hold`/`fill`).
 */
import { EventTimeline, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { messageOf } from '../../errors.ts';
import { decryptAll, fetchMessages, MESSAGE_TYPES, type HistoryContext } from './history.ts';
import type { Inbound } from './inbound.ts';
import { REACTION_TYPE } from './reactions.ts';

/** Events per `/messages` request. */
const PAGE = 100;
/** Requests per gap: at most 1,000 skipped events are read back; older ones are left. */
const MAX_PAGES = 10;
/** Reactions are live input too; history reads leave them out, a gap must not. */
const FILTER = JSON.stringify({ types: [...MESSAGE_TYPES, REACTION_TYPE] });

/** Where the gap ends (its older side): what was seen or delivered before it. */
export interface GapEnd {
  /** The last event seen live in the room before the gap, if known. */
  readonly last?: { readonly id: string; readonly ts: number };
  /** True for an event delivered before (the delivery ledger). */
  delivered(eventId: string): boolean;
  /** Events older than this are history, not input (the room's floor). */
  readonly floor: number;
}

/** The events of a gap, oldest first, decrypted where the key is here. */
export async function readGap(
  ctx: HistoryContext,
  room: { readonly roomId: string; readonly name: string },
  prevBatch: string,
  end: GapEnd,
  signal: AbortSignal,
): Promise<MatrixEvent[]> {
  const found: MatrixEvent[] = [];
  let from: string | undefined = prevBatch;
  for (let page = 0; page < MAX_PAGES && from !== undefined; page++) {
    const response = await fetchMessages(ctx, room, from, PAGE, signal, FILTER);
    const events = await decryptAll(ctx.client(), room.roomId, response.chunk, true);
    for (const event of events) {
      if (reachedEnd(event, end)) return found.reverse();
      found.push(event);
    }
    from = typeof response.end === 'string' && response.end !== from ? response.end : undefined;
  }
  if (from !== undefined)
    ctx.log(
      'warn',
      `more than ${String(PAGE * MAX_PAGES)} events of ${room.name} were skipped by the homeserver while disconnected; older ones are not delivered`,
    );
  return found.reverse();
}

/**
 * How far before the last event seen an event of the gap may claim to be: timestamps come
 * from the senders' homeservers, whose clocks differ. Reading further back costs little:
 * what was delivered before is recognised (the ledger) and not delivered again.
 */
const CLOCK_SKEW_MS = 60_000;

/** True for the first event (reading backwards) that is not part of the gap. */
function reachedEnd(event: MatrixEvent, end: GapEnd): boolean {
  const id = event.getId() ?? '';
  const ts = event.getTs();
  if (end.last && (id === end.last.id || ts < end.last.ts - CLOCK_SKEW_MS)) return true;
  return end.delivered(id) || ts < end.floor;
}

/** What reading gaps needs from its transport. */
export interface GapContext extends HistoryContext {
  readonly inbound: Inbound;
  /** True for an event delivered before (the delivery ledger). */
  delivered(eventId: string): boolean;
  /** The room's floor: older events are history. */
  floor(roomId: string): number;
  nameOf(roomId: string): string;
}

/** How long reading one gap back may take before what follows it is delivered anyway. */
const GAP_TIMEOUT_MS = 60_000;

/** Follows the live end of each room and reads back what a limited sync skipped. */
export class GapReader {
  readonly #ctx: GapContext;
  readonly #last = new Map<string, { id: string; ts: number }>();
  readonly #closing = new AbortController();

  constructor(ctx: GapContext) {
    this.#ctx = ctx;
  }

  /** A live event arrived in `roomId` (any kind, ours too): a later gap ends here. */
  seen(event: MatrixEvent, roomId: string): void {
    const id = event.getId();
    if (id && !id.startsWith('~')) this.#last.set(roomId, { id, ts: event.getTs() });
  }

  /**
   * The room's live timeline was reset (RoomEvent.TimelineReset, emitted before the limited
   * sync's own events are added): hold what follows and read the gap back from `prev_batch`.
   */
  reset(room: Room): void {
    const from = room.getLiveTimeline().getPaginationToken(EventTimeline.BACKWARDS);
    if (from === null || this.#closing.signal.aborted) return;
    const ctx = this.#ctx;
    const gap = ctx.inbound.hold(room.roomId);
    const last = this.#last.get(room.roomId);
    const end: GapEnd = {
      ...(last ? { last } : {}),
      delivered: (id) => ctx.delivered(id),
      floor: ctx.floor(room.roomId),
    };
    const name = ctx.nameOf(room.roomId);
    const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(GAP_TIMEOUT_MS)]);
    void readGap(ctx, { roomId: room.roomId, name }, from, end, signal)
      .then(
        (events) => {
          if (events.length > 0)
            ctx.log(
              'info',
              `read back ${String(events.length)} event(s) of ${name} the sync skipped`,
            );
          return events;
        },
        (error: unknown) => {
          if (!this.#closing.signal.aborted)
            ctx.log(
              'warn',
              `could not read back the events of ${name} the sync skipped: ${messageOf(error)}`,
            );
          return [];
        },
      )
      .then((events) => {
        ctx.inbound.fill(gap, room, events);
      });
  }

  /** The transport closes: stop reading. */
  close(): void {
    this.#closing.abort(new Error('the transport is closed'));
  }
}
