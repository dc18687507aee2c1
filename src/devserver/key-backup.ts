/**
 * Server-side key backup (spec v1.11 §11.12.3 "Server-side key backups"): backup versions per
 * user (`/room_keys/version`), and the encrypted room keys stored under the current version
 * (`/room_keys/keys`). The server stores `session_data` opaquely — it is encrypted by the
 * client — and keeps, per session, the better of two uploads as the spec orders them.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Accounts } from './accounts.ts';
import { MatrixError, badJson } from './matrix-error.ts';
import type { Request, Router } from './router.ts';

const C = '/_matrix/client/v3';

interface VersionRow {
  version: number;
  algorithm: string;
  auth_data: string;
  etag: number;
}

interface KeyRow {
  room_id: string;
  session_id: string;
  data: string;
}

/** One backed-up session as clients upload it. */
interface KeyBackupData {
  readonly first_message_index: number;
  readonly forwarded_count: number;
  readonly is_verified: boolean;
  readonly session_data: Record<string, unknown>;
}

const isObject = (x: unknown): boolean => typeof x === 'object' && x !== null;

function parseKeyData(value: unknown, where: string): KeyBackupData {
  const v = (typeof value === 'object' ? value : null) as Partial<KeyBackupData> | null;
  if (
    v === null ||
    typeof v.first_message_index !== 'number' ||
    typeof v.forwarded_count !== 'number' ||
    typeof v.is_verified !== 'boolean' ||
    !isObject(v.session_data)
  ) {
    throw badJson(
      `expected KeyBackupData (first_message_index, forwarded_count, is_verified, session_data) at ${where}`,
    );
  }
  return v as KeyBackupData;
}

/** Spec: keep the existing key unless the new one is verified where the old is not, or starts earlier, or was forwarded fewer times. */
function better(next: KeyBackupData, current: KeyBackupData): boolean {
  if (next.is_verified !== current.is_verified) return next.is_verified;
  if (next.first_message_index !== current.first_message_index)
    return next.first_message_index < current.first_message_index;
  return next.forwarded_count < current.forwarded_count;
}

/** The WHERE clause selecting a version's keys, one room's, or one session's. */
function scope(
  userId: string,
  version: number,
  roomId?: string,
  sessionId?: string,
): { where: string; args: (string | number)[] } {
  let where = 'user_id = ? AND version = ?';
  const args: (string | number)[] = [userId, version];
  if (roomId !== undefined) {
    where += ' AND room_id = ?';
    args.push(roomId);
  }
  if (sessionId !== undefined) {
    where += ' AND session_id = ?';
    args.push(sessionId);
  }
  return { where, args };
}

/** Backups of every user, over the store. */
export class KeyBackups {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  current(userId: string): VersionRow | undefined {
    return this.#db
      .prepare(
        'SELECT version, algorithm, auth_data, etag FROM backup_versions WHERE user_id = ? AND deleted = 0 ORDER BY version DESC LIMIT 1',
      )
      .get(userId) as VersionRow | undefined;
  }

  version(userId: string, version: string): VersionRow | undefined {
    return this.#db
      .prepare(
        'SELECT version, algorithm, auth_data, etag FROM backup_versions WHERE user_id = ? AND version = ? AND deleted = 0',
      )
      .get(userId, Number(version)) as VersionRow | undefined;
  }

  create(userId: string, algorithm: string, authData: Record<string, unknown>): number {
    const { lastInsertRowid } = this.#db
      .prepare(
        'INSERT INTO backup_versions (user_id, algorithm, auth_data, etag, deleted) VALUES (?, ?, ?, 0, 0)',
      )
      .run(userId, algorithm, JSON.stringify(authData));
    return Number(lastInsertRowid);
  }

  update(userId: string, version: number, authData: Record<string, unknown>): void {
    this.#db
      .prepare('UPDATE backup_versions SET auth_data = ? WHERE user_id = ? AND version = ?')
      .run(JSON.stringify(authData), userId, version);
  }

  delete(userId: string, version: number): void {
    this.#db
      .prepare('UPDATE backup_versions SET deleted = 1 WHERE user_id = ? AND version = ?')
      .run(userId, version);
    this.#db
      .prepare('DELETE FROM backup_keys WHERE user_id = ? AND version = ?')
      .run(userId, version);
  }

  count(userId: string, version: number): number {
    const row = this.#db
      .prepare('SELECT COUNT(*) AS n FROM backup_keys WHERE user_id = ? AND version = ?')
      .get(userId, version) as { n: number };
    return row.n;
  }

  /** Store sessions, keeping the better of old and new; returns the new etag. */
  put(
    userId: string,
    version: number,
    rooms: Record<string, Record<string, KeyBackupData>>,
  ): number {
    const get = this.#db.prepare(
      'SELECT data FROM backup_keys WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?',
    );
    const put = this.#db.prepare(
      'INSERT OR REPLACE INTO backup_keys (user_id, version, room_id, session_id, data) VALUES (?, ?, ?, ?, ?)',
    );
    let changed = false;
    for (const [roomId, sessions] of Object.entries(rooms)) {
      for (const [sessionId, data] of Object.entries(sessions)) {
        const row = get.get(userId, version, roomId, sessionId) as { data: string } | undefined;
        if (row && !better(data, JSON.parse(row.data) as KeyBackupData)) continue;
        put.run(userId, version, roomId, sessionId, JSON.stringify(data));
        changed = true;
      }
    }
    if (changed) {
      this.#db
        .prepare('UPDATE backup_versions SET etag = etag + 1 WHERE user_id = ? AND version = ?')
        .run(userId, version);
    }
    return this.version(userId, String(version))?.etag ?? 0;
  }

  keys(userId: string, version: number, roomId?: string, sessionId?: string): KeyRow[] {
    const { where, args } = scope(userId, version, roomId, sessionId);
    return this.#db
      .prepare(`SELECT room_id, session_id, data FROM backup_keys WHERE ${where}`)
      .all(...args) as unknown as KeyRow[];
  }

  remove(userId: string, version: number, roomId?: string, sessionId?: string): void {
    const { where, args } = scope(userId, version, roomId, sessionId);
    this.#db.prepare(`DELETE FROM backup_keys WHERE ${where}`).run(...args);
  }
}

function describeVersion(row: VersionRow, count: number): Record<string, unknown> {
  return {
    algorithm: row.algorithm,
    auth_data: JSON.parse(row.auth_data) as unknown,
    count,
    etag: String(row.etag),
    version: String(row.version),
  };
}

/** Register the key backup routes. */
export function keyBackupRoutes(router: Router, accounts: Accounts, backups: KeyBackups): void {
  const notFound = (what: string): MatrixError => new MatrixError(404, 'M_NOT_FOUND', what);
  const parseVersionBody = (
    req: Request,
  ): { algorithm: string; authData: Record<string, unknown> } => {
    const { algorithm, auth_data: authData } = req.body;
    if (typeof algorithm !== 'string' || typeof authData !== 'object' || authData === null) {
      throw badJson('expected { algorithm, auth_data } for a backup version');
    }
    return { algorithm, authData: authData as Record<string, unknown> };
  };
  /** The version a key request names, which must be the current one. */
  const writable = (userId: string, req: Request): number => {
    const asked = req.query.get('version');
    if (asked === null) throw new MatrixError(400, 'M_MISSING_PARAM', 'expected ?version=');
    const current = backups.current(userId);
    if (!current) throw notFound('no backup version exists');
    if (String(current.version) !== asked) {
      throw new MatrixError(
        403,
        'M_WRONG_ROOM_KEYS_VERSION',
        `version ${asked} is not the current backup`,
        {
          current_version: String(current.version),
        },
      );
    }
    return current.version;
  };
  const readable = (userId: string, req: Request): number => {
    const asked = req.query.get('version');
    if (asked === null) throw new MatrixError(400, 'M_MISSING_PARAM', 'expected ?version=');
    const row = backups.version(userId, asked);
    if (!row) throw notFound(`no backup version ${asked}`);
    return row.version;
  };

  router.on('POST', `${C}/room_keys/version`, (req) => {
    const { userId } = accounts.authenticate(req.token);
    const { algorithm, authData } = parseVersionBody(req);
    return { version: String(backups.create(userId, algorithm, authData)) };
  });
  router.on('GET', `${C}/room_keys/version`, (req) => {
    const { userId } = accounts.authenticate(req.token);
    const row = backups.current(userId);
    if (!row) throw notFound('no current backup version');
    return describeVersion(row, backups.count(userId, row.version));
  });
  router.on('GET', `${C}/room_keys/version/:version`, (req) => {
    const { userId } = accounts.authenticate(req.token);
    const row = backups.version(userId, req.params.version ?? '');
    if (!row) throw notFound(`no backup version ${req.params.version ?? ''}`);
    return describeVersion(row, backups.count(userId, row.version));
  });
  router.on('PUT', `${C}/room_keys/version/:version`, (req) => {
    const { userId } = accounts.authenticate(req.token);
    const row = backups.version(userId, req.params.version ?? '');
    if (!row) throw notFound(`no backup version ${req.params.version ?? ''}`);
    const { algorithm, authData } = parseVersionBody(req);
    if (algorithm !== row.algorithm)
      throw badJson('the algorithm of a backup version cannot change');
    if (req.body.version !== undefined && req.body.version !== String(row.version))
      throw badJson('the version in the body does not match the path');
    backups.update(userId, row.version, authData);
    return {};
  });
  router.on('DELETE', `${C}/room_keys/version/:version`, (req) => {
    const { userId } = accounts.authenticate(req.token);
    const row = backups.version(userId, req.params.version ?? '');
    if (!row) throw notFound(`no backup version ${req.params.version ?? ''}`);
    backups.delete(userId, row.version);
    return {};
  });

  const putKeys = (req: Request, rooms: Record<string, Record<string, KeyBackupData>>) => {
    const { userId } = accounts.authenticate(req.token);
    const version = writable(userId, req);
    const etag = backups.put(userId, version, rooms);
    return { count: backups.count(userId, version), etag: String(etag) };
  };
  router.on('PUT', `${C}/room_keys/keys`, (req) => {
    const rooms = req.body.rooms;
    if (typeof rooms !== 'object' || rooms === null) throw badJson('expected { rooms: {…} }');
    const parsed: Record<string, Record<string, KeyBackupData>> = {};
    for (const [roomId, room] of Object.entries(rooms as Record<string, { sessions?: unknown }>)) {
      const sessions = room.sessions;
      if (typeof sessions !== 'object' || sessions === null)
        throw badJson(`expected sessions for ${roomId}`);
      parsed[roomId] = Object.fromEntries(
        Object.entries(sessions as Record<string, unknown>).map(([id, data]) => [
          id,
          parseKeyData(data, `${roomId}/${id}`),
        ]),
      );
    }
    return putKeys(req, parsed);
  });
  router.on('PUT', `${C}/room_keys/keys/:room`, (req) => {
    const roomId = req.params.room ?? '';
    const sessions = req.body.sessions;
    if (typeof sessions !== 'object' || sessions === null)
      throw badJson('expected { sessions: {…} }');
    return putKeys(req, {
      [roomId]: Object.fromEntries(
        Object.entries(sessions as Record<string, unknown>).map(([id, data]) => [
          id,
          parseKeyData(data, `${roomId}/${id}`),
        ]),
      ),
    });
  });
  router.on('PUT', `${C}/room_keys/keys/:room/:session`, (req) => {
    const roomId = req.params.room ?? '';
    const sessionId = req.params.session ?? '';
    return putKeys(req, {
      [roomId]: { [sessionId]: parseKeyData(req.body, `${roomId}/${sessionId}`) },
    });
  });

  const rows = (req: Request, roomId?: string, sessionId?: string): KeyRow[] => {
    const { userId } = accounts.authenticate(req.token);
    return backups.keys(userId, readable(userId, req), roomId, sessionId);
  };
  const sessionsOf = (list: KeyRow[]): Record<string, unknown> =>
    Object.fromEntries(list.map((r) => [r.session_id, JSON.parse(r.data) as unknown]));
  router.on('GET', `${C}/room_keys/keys`, (req) => {
    const rooms: Record<string, { sessions: Record<string, unknown> }> = {};
    for (const row of rows(req)) {
      const room = (rooms[row.room_id] ??= { sessions: {} });
      room.sessions[row.session_id] = JSON.parse(row.data) as unknown;
    }
    return { rooms };
  });
  router.on('GET', `${C}/room_keys/keys/:room`, (req) => ({
    sessions: sessionsOf(rows(req, req.params.room ?? '')),
  }));
  router.on('GET', `${C}/room_keys/keys/:room/:session`, (req) => {
    const [row] = rows(req, req.params.room ?? '', req.params.session ?? '');
    if (!row) throw notFound('no such session in the backup');
    return JSON.parse(row.data) as unknown;
  });
  const remove = (req: Request, roomId?: string, sessionId?: string) => {
    const { userId } = accounts.authenticate(req.token);
    const version = writable(userId, req);
    backups.remove(userId, version, roomId, sessionId);
    return {
      count: backups.count(userId, version),
      etag: String(backups.version(userId, String(version))?.etag ?? 0),
    };
  };
  router.on('DELETE', `${C}/room_keys/keys`, (req) => remove(req));
  router.on('DELETE', `${C}/room_keys/keys/:room`, (req) => remove(req, req.params.room ?? ''));
  router.on('DELETE', `${C}/room_keys/keys/:room/:session`, (req) =>
    remove(req, req.params.room ?? '', req.params.session ?? ''),
  );
}
