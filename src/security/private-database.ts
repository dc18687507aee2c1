/**
 * The SQLite stores of the security layer (replay store, approvals): a file only its owner can
 * read (0600, in a 0700 directory), in WAL mode with a busy timeout because the session host
 * and the CLI write to it at once, and its schema created when missing.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { ConfigError, messageOf } from '../errors.ts';

/** Open (creating it as needed) the store at `path` in `dataDir`; `what` names it in errors. */
export function openPrivateDatabase(
  dataDir: string,
  path: string,
  schema: string,
  what: string,
): DatabaseSync {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const db = new DatabaseSync(path);
    chmodSync(path, 0o600);
    db.exec(`PRAGMA journal_mode = WAL;\nPRAGMA busy_timeout = 5000;\n${schema}`);
    return db;
  } catch (error) {
    throw new ConfigError(`cannot open the ${what} ${path}: ${messageOf(error)}`, {
      cause: error,
    });
  }
}
