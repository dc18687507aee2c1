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
