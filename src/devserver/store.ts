/**
 * The dev homeserver's persistent state in SQLite (node:sqlite): one file, mode 0600, so a
 * restart keeps accounts, devices and tokens. Schema changes are numbered migrations.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
     user_id TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     created_ts INTEGER NOT NULL
   );
   CREATE TABLE devices (
     user_id TEXT NOT NULL REFERENCES users(user_id),
     device_id TEXT NOT NULL,
     display_name TEXT,
     created_ts INTEGER NOT NULL,
     PRIMARY KEY (user_id, device_id)
   );
   CREATE TABLE access_tokens (
     token TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     device_id TEXT NOT NULL,
     FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
   );`,
  `CREATE TABLE rooms (
     room_id TEXT PRIMARY KEY,
     creator TEXT NOT NULL,
     version TEXT NOT NULL,
     visibility TEXT NOT NULL DEFAULT 'private'
   );
   CREATE TABLE events (
     stream INTEGER PRIMARY KEY AUTOINCREMENT,
     event_id TEXT NOT NULL UNIQUE,
     room_id TEXT NOT NULL REFERENCES rooms(room_id),
     sender TEXT NOT NULL,
     type TEXT NOT NULL,
     state_key TEXT,
     content TEXT NOT NULL,
     origin_server_ts INTEGER NOT NULL,
     txn_key TEXT UNIQUE
   );
   CREATE INDEX events_room ON events(room_id, stream);
   CREATE TABLE current_state (
     room_id TEXT NOT NULL,
     type TEXT NOT NULL,
     state_key TEXT NOT NULL,
     event_stream INTEGER NOT NULL REFERENCES events(stream),
     PRIMARY KEY (room_id, type, state_key)
   );
   CREATE TABLE aliases (
     alias TEXT PRIMARY KEY,
     room_id TEXT NOT NULL REFERENCES rooms(room_id),
     creator TEXT NOT NULL
   );`,
  `CREATE TABLE filters (
     filter_id INTEGER PRIMARY KEY AUTOINCREMENT,
     user_id TEXT NOT NULL,
     definition TEXT NOT NULL
   );
   CREATE TABLE account_data (
     stream INTEGER PRIMARY KEY AUTOINCREMENT,
     user_id TEXT NOT NULL,
     room_id TEXT NOT NULL DEFAULT '',
     type TEXT NOT NULL,
     content TEXT NOT NULL,
     UNIQUE (user_id, room_id, type)
   );`,
  `CREATE TABLE device_keys (
     user_id TEXT NOT NULL,
     device_id TEXT NOT NULL,
     keys TEXT NOT NULL,
     PRIMARY KEY (user_id, device_id),
     FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
   );
   CREATE TABLE one_time_keys (
     user_id TEXT NOT NULL,
     device_id TEXT NOT NULL,
     key_id TEXT NOT NULL,
     algorithm TEXT NOT NULL,
     key TEXT NOT NULL,
     PRIMARY KEY (user_id, device_id, key_id),
     FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
   );
   CREATE TABLE fallback_keys (
     user_id TEXT NOT NULL,
     device_id TEXT NOT NULL,
     algorithm TEXT NOT NULL,
     key_id TEXT NOT NULL,
     key TEXT NOT NULL,
     used INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (user_id, device_id, algorithm),
     FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
   );
   CREATE TABLE cross_signing_keys (
     user_id TEXT NOT NULL,
     usage TEXT NOT NULL,
     key TEXT NOT NULL,
     PRIMARY KEY (user_id, usage)
   );
   CREATE TABLE key_changes (
     stream INTEGER PRIMARY KEY AUTOINCREMENT,
     user_id TEXT NOT NULL
   );
   CREATE TABLE to_device (
     stream INTEGER PRIMARY KEY AUTOINCREMENT,
     user_id TEXT NOT NULL,
     device_id TEXT NOT NULL,
     sender TEXT NOT NULL,
     type TEXT NOT NULL,
     content TEXT NOT NULL
   );
   CREATE INDEX to_device_target ON to_device(user_id, device_id, stream);`,
  `CREATE TABLE media (
     media_id TEXT PRIMARY KEY,
     uploader TEXT NOT NULL,
     content_type TEXT NOT NULL,
     filename TEXT,
     data BLOB NOT NULL,
     created_ts INTEGER NOT NULL
   );
   CREATE TABLE profiles (
     user_id TEXT PRIMARY KEY,
     displayname TEXT,
     avatar_url TEXT
   );`,
  `CREATE TABLE presence (
     stream INTEGER PRIMARY KEY AUTOINCREMENT,
     user_id TEXT NOT NULL UNIQUE,
     presence TEXT NOT NULL,
     status_msg TEXT,
     last_active_ts INTEGER NOT NULL
   );`,
  `CREATE TABLE backup_versions (
     version INTEGER PRIMARY KEY AUTOINCREMENT,
     user_id TEXT NOT NULL,
     algorithm TEXT NOT NULL,
     auth_data TEXT NOT NULL,
     etag INTEGER NOT NULL,
     deleted INTEGER NOT NULL
   );
   CREATE TABLE backup_keys (
     user_id TEXT NOT NULL,
     version INTEGER NOT NULL,
     room_id TEXT NOT NULL,
     session_id TEXT NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (user_id, version, room_id, session_id)
   );`,
];

/** Open (creating and migrating) the database in `dir`, or in memory when `dir` is undefined. */
export function openStore(dir: string | undefined): DatabaseSync {
  let path = ':memory:';
  if (dir !== undefined) {
    // 0700: the WAL and shared-memory files SQLite creates beside the database hold data too.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    path = join(dir, 'homeserver.sqlite');
  }
  const db = new DatabaseSync(path);
  if (dir !== undefined) chmodSync(path, 0o600);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;');
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as {
    user_version: number;
  };
  for (let i = version; i < MIGRATIONS.length; i++) {
    db.exec('BEGIN');
    db.exec(MIGRATIONS[i] ?? '');
    db.exec(`PRAGMA user_version = ${String(i + 1)}`);
    db.exec('COMMIT');
  }
  return db;
}
