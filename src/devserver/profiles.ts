/**
 * User profiles (spec v1.11 "Profiles"): a display name and an avatar per user. Room member
 * events carry them too (see Rooms), so member lists can name people without a profile lookup.
 */
import type { DatabaseSync } from 'node:sqlite';

/** The profile fields a user may set. */
export type ProfileField = 'displayname' | 'avatar_url';

/** A profile as `GET /profile/{userId}` shows it: only the fields that are set. */
export type Profile = Partial<Record<ProfileField, string>>;

/** Profile storage. */
export class Profiles {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  get(userId: string): Profile {
    const row = this.#db
      .prepare('SELECT displayname, avatar_url FROM profiles WHERE user_id = ?')
      .get(userId) as { displayname: string | null; avatar_url: string | null } | undefined;
    return {
      ...(row?.displayname ? { displayname: row.displayname } : {}),
      ...(row?.avatar_url ? { avatar_url: row.avatar_url } : {}),
    };
  }

  /** Set one field; null clears it. */
  set(userId: string, field: ProfileField, value: string | null): void {
    this.#db
      .prepare(
        `INSERT INTO profiles (user_id, ${field}) VALUES (?, ?) ON CONFLICT DO UPDATE SET ${field} = excluded.${field}`,
      )
      .run(userId, value);
  }
}
