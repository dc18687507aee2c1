/**
 * Accounts, devices and access tokens of the dev homeserver. Passwords are stored as scrypt
 * hashes; tokens are random and unguessable.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { MatrixError, forbidden } from './matrix-error.ts';

/** Who an access token belongs to. */
export interface Session {
  readonly userId: string;
  readonly deviceId: string;
}

// Spec appendix "User Identifiers": the localpart of a new account.
const LOCALPART = /^[a-z0-9._=\-/+]+$/;

function hash(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${scryptSync(password, salt, 32).toString('base64')}`;
}

function verify(password: string, stored: string): boolean {
  const [, salt = '', expected = ''] = stored.split('$');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), 32);
  const wanted = Buffer.from(expected, 'base64');
  return actual.length === wanted.length && timingSafeEqual(actual, wanted);
}

/** Account operations over the store. */
export class Accounts {
  readonly #db: DatabaseSync;
  readonly #serverName: string;
  /** Called when a user's devices go away (their keys go with them: peers must learn it). */
  readonly #onDevicesRemoved: (userId: string) => void;

  constructor(
    db: DatabaseSync,
    serverName: string,
    onDevicesRemoved: (userId: string) => void = () => undefined,
  ) {
    this.#db = db;
    this.#serverName = serverName;
    this.#onDevicesRemoved = onDevicesRemoved;
  }

  /** `@localpart:server` for a requested username, validated as the spec requires. */
  userIdFor(username: string): string {
    const localpart = username.toLowerCase();
    if (!LOCALPART.test(localpart) || localpart.length > 200) {
      throw new MatrixError(
        400,
        'M_INVALID_USERNAME',
        `user names may only contain a-z, 0-9, and ._=-/+, got ${JSON.stringify(username)}`,
      );
    }
    return `@${localpart}:${this.#serverName}`;
  }

  exists(userId: string): boolean {
    return this.#db.prepare('SELECT 1 FROM users WHERE user_id = ?').get(userId) !== undefined;
  }

  create(userId: string, password: string): void {
    if (this.exists(userId))
      throw new MatrixError(400, 'M_USER_IN_USE', `${userId} is already taken`);
    this.#db
      .prepare('INSERT INTO users (user_id, password_hash, created_ts) VALUES (?, ?, ?)')
      .run(userId, hash(password), Date.now());
  }

  /** Check a password; the same M_FORBIDDEN for an unknown user and a wrong password. */
  checkPassword(userId: string, password: string): void {
    const row = this.#db
      .prepare('SELECT password_hash FROM users WHERE user_id = ?')
      .get(userId) as { password_hash: string } | undefined;
    if (!row || !verify(password, row.password_hash))
      throw forbidden('invalid user name or password');
  }

  /** Create (or reuse) a device and issue a new access token for it. */
  openSession(
    userId: string,
    deviceId: string | undefined,
    displayName: string | undefined,
  ): Session & { accessToken: string } {
    const device = deviceId ?? randomBytes(5).toString('hex').toUpperCase();
    this.#db
      .prepare(
        'INSERT INTO devices (user_id, device_id, display_name, created_ts) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(userId, device, displayName ?? null, Date.now());
    const accessToken = `mxdev_${randomBytes(24).toString('base64url')}`;
    this.#db
      .prepare('INSERT INTO access_tokens (token, user_id, device_id) VALUES (?, ?, ?)')
      .run(accessToken, userId, device);
    return { userId, deviceId: device, accessToken };
  }

  /** The session of a token: 401 M_MISSING_TOKEN / M_UNKNOWN_TOKEN otherwise. */
  authenticate(token: string | undefined): Session {
    if (!token) throw new MatrixError(401, 'M_MISSING_TOKEN', 'missing access token');
    const row = this.#db
      .prepare('SELECT user_id, device_id FROM access_tokens WHERE token = ?')
      .get(token) as { user_id: string; device_id: string } | undefined;
    if (!row)
      throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'unknown or expired access token', {
        soft_logout: false,
      });
    return { userId: row.user_id, deviceId: row.device_id };
  }

  /** Logout: the device and its tokens go (spec: logout invalidates the device). */
  closeSession(session: Session): void {
    this.#db
      .prepare('DELETE FROM devices WHERE user_id = ? AND device_id = ?')
      .run(session.userId, session.deviceId);
  }

  closeAllSessions(userId: string): void {
    this.#db.prepare('DELETE FROM devices WHERE user_id = ?').run(userId);
    this.#onDevicesRemoved(userId);
  }
}
