/**
 * Presence (spec v1.11 §11.9): `PUT/GET /presence/{userId}/status`, and `m.presence` events in
 * `/sync` for the users a client shares a room with (and itself). Each change takes a new
 * position in the presence stream, the `_p` part of the sync token.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Accounts } from './accounts.ts';
import { MatrixError, badJson, forbidden } from './matrix-error.ts';
import type { Router } from './router.ts';

const C = '/_matrix/client/v3';
const STATES = new Set(['online', 'unavailable', 'offline']);
const MAX_STATUS = 1024;

/** One presence state as stored. */
export interface PresenceRow {
  readonly stream: number;
  readonly userId: string;
  readonly presence: string;
  readonly statusMsg: string | null;
  readonly lastActiveTs: number;
}

/** Presence of every user, as a stream. */
export class Presence {
  readonly #db: DatabaseSync;
  readonly #onChange: () => void;

  constructor(db: DatabaseSync, onChange: () => void) {
    this.#db = db;
    this.#onChange = onChange;
  }

  set(userId: string, presence: string, statusMsg: string | null): void {
    this.#db.prepare('DELETE FROM presence WHERE user_id = ?').run(userId);
    this.#db
      .prepare(
        'INSERT INTO presence (user_id, presence, status_msg, last_active_ts) VALUES (?, ?, ?, ?)',
      )
      .run(userId, presence, statusMsg, Date.now());
    this.#onChange();
  }

  get(userId: string): PresenceRow | undefined {
    const row = this.#db
      .prepare('SELECT * FROM presence WHERE user_id = ?')
      .get(userId) as unknown as RawRow | undefined;
    return row && toRow(row);
  }

  head(): number {
    const row = this.#db.prepare('SELECT MAX(stream) AS head FROM presence').get() as {
      head: number | null;
    };
    return row.head ?? 0;
  }

  /** Changes after `since`, newest state per user. */
  since(since: number): PresenceRow[] {
    return (
      this.#db
        .prepare('SELECT * FROM presence WHERE stream > ? ORDER BY stream')
        .all(since) as unknown as RawRow[]
    ).map(toRow);
  }
}

interface RawRow {
  stream: number;
  user_id: string;
  presence: string;
  status_msg: string | null;
  last_active_ts: number;
}

function toRow(r: RawRow): PresenceRow {
  return {
    stream: r.stream,
    userId: r.user_id,
    presence: r.presence,
    statusMsg: r.status_msg,
    lastActiveTs: r.last_active_ts,
  };
}

/** The `m.presence` event of a row, as /sync carries it. */
export function presenceEvent(row: PresenceRow): Record<string, unknown> {
  return {
    type: 'm.presence',
    sender: row.userId,
    content: {
      presence: row.presence,
      last_active_ago: Math.max(0, Date.now() - row.lastActiveTs),
      currently_active: row.presence === 'online',
      ...(row.statusMsg ? { status_msg: row.statusMsg } : {}),
    },
  };
}

/** Register the presence routes. */
export function presenceRoutes(router: Router, accounts: Accounts, presence: Presence): void {
  router.on('PUT', `${C}/presence/:user/status`, (req) => {
    const { userId } = accounts.authenticate(req.token);
    if (req.params.user !== userId) {
      throw forbidden(`cannot set the presence of ${req.params.user ?? ''}`);
    }
    const state = req.body.presence;
    if (typeof state !== 'string' || !STATES.has(state)) {
      throw badJson(
        `expected presence to be online, unavailable or offline, got ${JSON.stringify(state)}`,
      );
    }
    const status = req.body.status_msg;
    if (status !== undefined && status !== null && typeof status !== 'string') {
      throw badJson('expected status_msg to be a string');
    }
    if (typeof status === 'string' && status.length > MAX_STATUS) {
      throw badJson(`status_msg is longer than ${String(MAX_STATUS)} characters`);
    }
    presence.set(userId, state, typeof status === 'string' && status !== '' ? status : null);
    return {};
  });
  router.on('GET', `${C}/presence/:user/status`, (req) => {
    accounts.authenticate(req.token);
    const userId = req.params.user ?? '';
    if (!accounts.exists(userId)) throw new MatrixError(404, 'M_NOT_FOUND', `no user ${userId}`);
    const row = presence.get(userId);
    if (!row) return { presence: 'offline' };
    return {
      presence: row.presence,
      last_active_ago: Math.max(0, Date.now() - row.lastActiveTs),
      currently_active: row.presence === 'online',
      ...(row.statusMsg ? { status_msg: row.statusMsg } : {}),
    };
  });
}
