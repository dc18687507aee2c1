/**
 * Past messages on Matrix (specs/protocol.md §4.6): `GET /rooms/{roomId}/messages` with dir=b
 * (Client-Server API, "Getting events for a room"), from the live end or from the `end` token
 * of the previous page. Events are decrypted with this device's Megolm keys and decoded exactly
 * as live delivery decodes them (inbound.ts). Reading is not delivering: nothing here records
 * into the delivery ledger, moves a room's floor, or reaches listeners.
 */
import {
  MatrixError,
  Method,
  type IEvent,
  type IRequestOpts,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk';
import { UsageError, quote } from '../../errors.ts';
import { sleep } from '../deadline.ts';
import type * as T from '../transport.ts';
import { EVENT_PREFIX } from './codec.ts';
import { decodeTimelineEvent, inboundMessages } from './inbound.ts';
import { mapMatrixError, retryDelay } from './matrix-errors.ts';
import { isTransient } from './sdk.ts';

const DEFAULT_LIMIT = 100;

/**
 * Requests one page may make. A page is filled up to its limit across requests (state events
 * and undecryptable ones take room in a response but are not messages); a stretch of history
 * with no messages at all ends a page early, with `next` to go on from.
 */
const MAX_REQUESTS = 10;

/**
 * Only events that can carry our content (spec: RoomEventFilter, `*` wildcards). Servers that
 * ignore it cost us some state events on the wire; nothing else depends on it.
 */
export const MESSAGE_TYPES = ['m.room.message', 'm.room.encrypted', `${EVENT_PREFIX}*`];
const FILTER = JSON.stringify({ types: MESSAGE_TYPES });

/** What reading history needs from its transport. */
export interface HistoryContext {
  client(): MatrixClient;
  /** True for a room known to be encrypted: plaintext content in it is rejected, as live. */
  encrypted(roomId: string): boolean;
  /** Wait until the transport is online. */
  online(signal: AbortSignal): Promise<void>;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
}

/** The conversation being read: its room, its name in messages, the target its messages carry. */
export interface HistoryRoom {
  readonly roomId: string;
  readonly name: string;
  readonly target: T.Target;
}

/** The part of a `/messages` response we read. */
export interface MessagesResponse {
  readonly chunk?: unknown;
  readonly start?: unknown;
  readonly end?: unknown;
}

/** Check a history query, or throw UsageError saying what was expected. */
export function assertHistoryQuery(query: T.HistoryQuery): void {
  const { limit, before } = query;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new UsageError(`expected a history limit of 1 or more, got ${String(limit)}`);
  }
  if (before === '') throw new UsageError('expected a history cursor, got an empty string');
}

/**
 * Where a page begins: a server token (absent: the live end) and how much of the chunk read
 * from it earlier pages took. A batch event (specs/protocol.md §4.1.1) carries several
 * messages, so a page can fill up in the middle of a chunk, or of a batch; the server has no
 * token for such a place, so the cursor names the token and how far past it to skip.
 */
interface Position {
  readonly from: string | undefined;
  /** Events of the chunk from `from` already read in full. */
  readonly events: number;
  /** Messages of the next event already read (newest first). */
  readonly messages: number;
}

/** Marks a cursor that is a position inside a chunk rather than a server token. */
const INSIDE = 'mxa~';

function cursorOf(position: Position): string | undefined {
  const { from, events, messages } = position;
  if (events === 0 && messages === 0) return from;
  return `${INSIDE}${String(events)}.${String(messages)}.${from ?? ''}`;
}

function positionOf(cursor: string | undefined): Position {
  if (!cursor?.startsWith(INSIDE)) return { from: cursor, events: 0, messages: 0 };
  const match = /^(\d{1,6})\.(\d{1,3})\.(.+)$/s.exec(cursor.slice(INSIDE.length));
  if (!match?.[3]) {
    throw new UsageError(
      `expected a history cursor a previous page returned as next, got ${quote(cursor)}`,
    );
  }
  return { from: match[3], events: Number(match[1]), messages: Number(match[2]) };
}

/** Read one page of a room's history, newest first. */
export async function readHistory(
  ctx: HistoryContext,
  room: HistoryRoom,
  query: T.HistoryQuery,
  signal: AbortSignal,
): Promise<T.HistoryPage> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const messages: T.InboundMessage[] = [];
  let unreadable = 0;
  let at = positionOf(query.before);
  for (let request = 0; request < MAX_REQUESTS && messages.length < limit; request++) {
    const want = limit - messages.length + at.events;
    const response = await fetchMessages(ctx, room, at.from, want, signal);
    // Without `from`, `start` is the token of the live end as it was: later events cannot
    // shift a position counted from it.
    const start = at.from ?? (typeof response.start === 'string' ? response.start : undefined);
    const events = await decryptAll(ctx.client(), room.roomId, response.chunk);
    for (let i = at.events; i < events.length; i++) {
      const event = events[i] as MatrixEvent;
      if (event.isDecryptionFailure()) {
        if (i > at.events || at.messages === 0) unreadable++;
        continue;
      }
      const skip = i === at.events ? at.messages : 0;
      const found = messagesOf(ctx, room, event).slice(skip);
      const space = limit - messages.length;
      // A server without `start` leaves no place to resume from: the page runs over instead.
      if (found.length > space && start !== undefined) {
        messages.push(...found.slice(0, space));
        const next = cursorOf({ from: start, events: i, messages: skip + space });
        return { messages, ...(next === undefined ? {} : { next }), unreadable };
      }
      messages.push(...found);
    }
    // No `end`: the beginning (or the limit of what we may see) is reached. An empty chunk
    // with an `end` only means the server filtered a stretch away: go on from there.
    const end = typeof response.end === 'string' && response.end !== at.from ? response.end : '';
    at = { from: end || undefined, events: 0, messages: 0 };
    if (at.from === undefined) break;
  }
  const next = cursorOf(at);
  return { messages, ...(next === undefined ? {} : { next }), unreadable };
}

/** The messages one event of the history carries, newest first. */
function messagesOf(
  ctx: HistoryContext,
  room: HistoryRoom,
  event: MatrixEvent,
): T.InboundMessage[] {
  const id = event.getId();
  const sender = event.getSender();
  if (!id || !sender || event.isState()) return [];
  const decoded = decodeTimelineEvent(event, ctx.encrypted(room.roomId), room.name);
  // Reactions are events, not messages: a page of history has none.
  if (!decoded || decoded.type === 'reaction') return [];
  if (decoded.type === 'rejected') {
    // Live delivery reported it to listeners when it arrived; a read only leaves it out.
    ctx.log('debug', `history of ${room.name}: left out ${id} from ${sender}: ${decoded.reason}`);
    return [];
  }
  const common = { id, from: sender, target: room.target, timestamp: event.getTs(), delayed: true };
  return inboundMessages(decoded, common).reverse();
}

/**
 * One `/messages` request backwards, retried through outages and rate limits until the
 * deadline; `filter` is a RoomEventFilter as JSON (default: events that can carry messages).
 */
export async function fetchMessages(
  ctx: HistoryContext,
  room: Omit<HistoryRoom, 'target'>,
  from: string | undefined,
  limit: number,
  signal: AbortSignal,
  filter = FILTER,
): Promise<MessagesResponse> {
  const path = `/rooms/${encodeURIComponent(room.roomId)}/messages`;
  // Without `from`, dir=b starts at the live end of the timeline (spec v1.3).
  const params = { dir: 'b', limit: String(limit), filter, ...(from ? { from } : {}) };
  for (let attempt = 0; ; attempt++) {
    await ctx.online(signal);
    try {
      // IRequestOpts picks `priority` from the DOM's RequestInit, which Node's types lack.
      const opts = { abortSignal: signal } as IRequestOpts;
      return await ctx
        .client()
        .http.authedRequest<MessagesResponse>(Method.Get, path, params, undefined, opts);
    } catch (error) {
      if (signal.aborted) throw signal.reason as Error;
      if (isTransient(error)) {
        ctx.log('debug', `reading the history of ${room.name} failed; retrying`);
        await sleep(retryDelay(error, attempt), signal);
        continue;
      }
      if (from && error instanceof MatrixError && error.httpStatus === 400) {
        throw new UsageError(
          `the homeserver does not know the history cursor ${quote(from)} for ${room.name} (${error.errcode ?? '400'}): pass a cursor a previous page returned as next`,
          { cause: error },
        );
      }
      throw mapMatrixError(error, `read the history of ${room.name}`);
    }
  }
}

/**
 * The events of a chunk as SDK events, decrypted where this device holds the key. Mapped
 * without re-emitting: a history event decrypting must not look like live traffic to our
 * listeners on the client (matrix-transport.ts wires MatrixEventEvent.Decrypted). Live events
 * read back (gap.ts) are re-emitted: one whose key comes later is delivered then.
 */
export async function decryptAll(
  client: MatrixClient,
  roomId: string,
  chunk: unknown,
  live = false,
): Promise<MatrixEvent[]> {
  if (!Array.isArray(chunk)) return [];
  const mapper = client.getEventMapper({ preventReEmit: !live, decrypt: false });
  const events = chunk
    .filter((raw): raw is Partial<IEvent> => typeof raw === 'object' && raw !== null)
    // The room we asked about, whatever the event claims: Megolm keys are bound to a room.
    .map((raw) => mapper({ ...raw, room_id: roomId }));
  await Promise.allSettled(events.map((event) => client.decryptEventIfNeeded(event)));
  return events;
}
