/**
 * Rooms and their events in SQLite: one append-only event table ordered by a stream number
 * (what /sync and /messages page by), and the current state per (type, state_key).
 */
import { randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

/** A client-format room event (spec: "ClientEvent"), plus its stream position. */
export interface RoomEvent {
  readonly event_id: string;
  readonly room_id: string;
  readonly sender: string;
  readonly type: string;
  readonly state_key?: string;
  readonly content: Record<string, unknown>;
  readonly origin_server_ts: number;
  readonly stream: number;
  /** `user|device|txnId` of the send that made it (never shown as is). */
  readonly txnKey?: string;
}

/** Who is being shown an event: the device that sent it gets its transaction id back. */
export interface Viewer {
  readonly userId: string;
  readonly deviceId: string;
}

interface EventRow {
  stream: number;
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  state_key: string | null;
  content: string;
  origin_server_ts: number;
  txn_key: string | null;
}

const COLUMNS =
  'e.stream, e.event_id, e.room_id, e.sender, e.type, e.state_key, e.content, e.origin_server_ts, e.txn_key';

function toEvent(row: EventRow): RoomEvent {
  return {
    event_id: row.event_id,
    room_id: row.room_id,
    sender: row.sender,
    type: row.type,
    ...(row.state_key === null ? {} : { state_key: row.state_key }),
    content: JSON.parse(row.content) as Record<string, unknown>,
    origin_server_ts: row.origin_server_ts,
    stream: row.stream,
    ...(row.txn_key === null ? {} : { txnKey: row.txn_key }),
  };
}

/**
 * The client format of an event: without our internal fields, and with
 * `unsigned.transaction_id` for the device that sent it (spec: ClientEvent, "Transaction
 * identifiers"), so its client can match the remote echo to its local echo.
 */
export function clientEvent(event: RoomEvent, viewer?: Viewer): Record<string, unknown> {
  const { stream: _stream, txnKey, ...rest } = event;
  const prefix = viewer ? `${viewer.userId}|${viewer.deviceId}|` : undefined;
  if (txnKey === undefined || prefix === undefined || !txnKey.startsWith(prefix)) return rest;
  return { ...rest, unsigned: { transaction_id: txnKey.slice(prefix.length) } };
}

/** Storage of rooms, events and state. */
export class RoomStore {
  readonly #db: DatabaseSync;
  readonly #onAppend: (event: RoomEvent) => void;

  constructor(db: DatabaseSync, onAppend: (event: RoomEvent) => void) {
    this.#db = db;
    this.#onAppend = onAppend;
  }

  createRoom(roomId: string, creator: string, version: string): void {
    this.#db
      .prepare('INSERT INTO rooms (room_id, creator, version) VALUES (?, ?, ?)')
      .run(roomId, creator, version);
  }

  exists(roomId: string): boolean {
    return this.#db.prepare('SELECT 1 FROM rooms WHERE room_id = ?').get(roomId) !== undefined;
  }

  /** Append an event (updating current state for state events); idempotent per txnKey. */
  append(
    event: {
      room_id: string;
      sender: string;
      type: string;
      state_key?: string;
      content: Record<string, unknown>;
    },
    txnKey?: string,
  ): RoomEvent {
    if (txnKey !== undefined) {
      const seen = this.#db
        .prepare(`SELECT ${COLUMNS} FROM events e WHERE e.txn_key = ?`)
        .get(txnKey) as EventRow | undefined;
      if (seen) return toEvent(seen);
    }
    const eventId = `$${randomBytes(32).toString('base64url')}`;
    const ts = Date.now();
    const { lastInsertRowid } = this.#db
      .prepare(
        'INSERT INTO events (event_id, room_id, sender, type, state_key, content, origin_server_ts, txn_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        eventId,
        event.room_id,
        event.sender,
        event.type,
        event.state_key ?? null,
        JSON.stringify(event.content),
        ts,
        txnKey ?? null,
      );
    const stream = Number(lastInsertRowid);
    if (event.state_key !== undefined) {
      this.#db
        .prepare(
          'INSERT INTO current_state (room_id, type, state_key, event_stream) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET event_stream = excluded.event_stream',
        )
        .run(event.room_id, event.type, event.state_key, stream);
    }
    const stored: RoomEvent = {
      ...event,
      event_id: eventId,
      origin_server_ts: ts,
      stream,
      ...(txnKey === undefined ? {} : { txnKey }),
    };
    this.#onAppend(stored);
    return stored;
  }

  /** The current state event of (type, stateKey), if any. */
  state(roomId: string, type: string, stateKey: string): RoomEvent | undefined {
    const row = this.#db
      .prepare(
        `SELECT ${COLUMNS} FROM current_state s JOIN events e ON e.stream = s.event_stream WHERE s.room_id = ? AND s.type = ? AND s.state_key = ?`,
      )
      .get(roomId, type, stateKey) as EventRow | undefined;
    return row && toEvent(row);
  }

  /** All current state events of a room. */
  allState(roomId: string): RoomEvent[] {
    const rows = this.#db
      .prepare(
        `SELECT ${COLUMNS} FROM current_state s JOIN events e ON e.stream = s.event_stream WHERE s.room_id = ? ORDER BY e.stream`,
      )
      .all(roomId) as unknown as EventRow[];
    return rows.map(toEvent);
  }

  /** A user's membership in a room (from the current m.room.member state). */
  membership(roomId: string, userId: string): string | undefined {
    const member = this.state(roomId, 'm.room.member', userId);
    return typeof member?.content.membership === 'string' ? member.content.membership : undefined;
  }

  /** A user's membership in a room as it stood at stream position `at`. */
  membershipAt(roomId: string, userId: string, at: number): string | undefined {
    const row = this.#db
      .prepare(
        `SELECT ${COLUMNS} FROM events e WHERE e.room_id = ? AND e.type = 'm.room.member' AND e.state_key = ? AND e.stream <= ? ORDER BY e.stream DESC LIMIT 1`,
      )
      .get(roomId, userId, at) as unknown as EventRow | undefined;
    const membership = row === undefined ? undefined : toEvent(row).content.membership;
    return typeof membership === 'string' ? membership : undefined;
  }

  /** Room ids where the user's current membership is one of `memberships`. */
  roomsOf(userId: string, memberships: readonly string[]): string[] {
    const rows = this.#db
      .prepare(
        `SELECT s.room_id, e.content FROM current_state s JOIN events e ON e.stream = s.event_stream WHERE s.type = 'm.room.member' AND s.state_key = ?`,
      )
      .all(userId) as unknown as { room_id: string; content: string }[];
    return rows
      .filter((r) =>
        memberships.includes(
          String((JSON.parse(r.content) as { membership?: unknown }).membership),
        ),
      )
      .map((r) => r.room_id);
  }

  /** Events of a room after `from` (exclusive) up to `to` (inclusive), oldest first. */
  eventsBetween(roomId: string, from: number, to: number, limit: number): RoomEvent[] {
    const rows = this.#db
      .prepare(
        `SELECT ${COLUMNS} FROM events e WHERE e.room_id = ? AND e.stream > ? AND e.stream <= ? ORDER BY e.stream DESC LIMIT ?`,
      )
      .all(roomId, from, to, limit) as unknown as EventRow[];
    return rows.map(toEvent).reverse();
  }

  /** Events of a room before `before` (exclusive), newest first (for backwards pagination). */
  eventsBefore(roomId: string, before: number, limit: number): RoomEvent[] {
    const rows = this.#db
      .prepare(
        `SELECT ${COLUMNS} FROM events e WHERE e.room_id = ? AND e.stream < ? ORDER BY e.stream DESC LIMIT ?`,
      )
      .all(roomId, before, limit) as unknown as EventRow[];
    return rows.map(toEvent);
  }

  /** The newest stream position. */
  head(): number {
    const row = this.#db.prepare('SELECT MAX(stream) AS head FROM events').get() as {
      head: number | null;
    };
    return row.head ?? 0;
  }

  setAlias(alias: string, roomId: string, creator: string): boolean {
    return (
      this.#db
        .prepare(
          'INSERT INTO aliases (alias, room_id, creator) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(alias, roomId, creator).changes > 0
    );
  }

  resolveAlias(alias: string): string | undefined {
    return (
      this.#db.prepare('SELECT room_id FROM aliases WHERE alias = ?').get(alias) as
        { room_id: string } | undefined
    )?.room_id;
  }

  deleteAlias(alias: string): void {
    this.#db.prepare('DELETE FROM aliases WHERE alias = ?').run(alias);
  }

  setVisibility(roomId: string, visibility: 'public' | 'private'): void {
    this.#db.prepare('UPDATE rooms SET visibility = ? WHERE room_id = ?').run(visibility, roomId);
  }

  visibility(roomId: string): string {
    return (
      (
        this.#db.prepare('SELECT visibility FROM rooms WHERE room_id = ?').get(roomId) as
          { visibility: string } | undefined
      )?.visibility ?? 'private'
    );
  }

  publicRooms(): string[] {
    return (
      this.#db
        .prepare("SELECT room_id FROM rooms WHERE visibility = 'public' ORDER BY room_id")
        .all() as unknown as { room_id: string }[]
    ).map((r) => r.room_id);
  }
}
