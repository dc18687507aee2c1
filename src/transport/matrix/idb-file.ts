/**
 * The SQLite side of durable-idb.ts: one file per store directory holding each database's
 * version and schema and every record, written one committed IndexedDB transaction at a time.
 */
import { chmodSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

/** The parts of fake-indexeddb's internals the journal hooks. */
export interface RawRecord {
  key: unknown;
  value: unknown;
}
export interface RawIndex {
  name: string;
  keyPath: string | string[];
  unique: boolean;
  multiEntry: boolean;
}
export interface RawObjectStore {
  name: string;
  keyPath: string | string[] | null;
  keyGenerator: unknown;
  rawDatabase: RawDatabase;
  rawIndexes: Map<string, RawIndex>;
  records: { values(range?: unknown): Iterable<RawRecord> };
  storeRecord: (
    this: RawObjectStore,
    record: RawRecord,
    noOverwrite: boolean,
    rollbackLog?: unknown[],
  ) => unknown;
  deleteRecord: (this: RawObjectStore, range: unknown, rollbackLog?: unknown[]) => void;
  clear: (this: RawObjectStore, rollbackLog?: unknown[]) => void;
}
export interface RawDatabase {
  name: string;
  version: number;
  rawObjectStores: Map<string, RawObjectStore>;
  transactions: RawTransaction[];
}
export interface RawTransaction {
  _rollbackLog: unknown[];
  mode: string;
  addEventListener(type: string, listener: () => void): void;
}

export type Op =
  | { kind: 'put'; store: string; key: Uint8Array; value: Uint8Array }
  | { kind: 'delete'; store: string; key: Uint8Array }
  | { kind: 'clear'; store: string };

export interface StoredSchema {
  name: string;
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  indexes: { name: string; keyPath: string | string[]; unique: boolean; multiEntry: boolean }[];
}

/** One store directory's SQLite file. */
export class Backing {
  readonly db: DatabaseSync;
  /** Transactions journalling into this file that have not completed or aborted yet. */
  pending = 0;
  #released = false;
  readonly #put: StatementSync;
  readonly #delete: StatementSync;
  readonly #clear: StatementSync;

  constructor(file: string) {
    this.db = new DatabaseSync(file);
    chmodSync(file, 0o600);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS dbs (name TEXT PRIMARY KEY, version INTEGER NOT NULL,
        schema TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS records (db TEXT NOT NULL, store TEXT NOT NULL,
        key BLOB NOT NULL, value BLOB NOT NULL, PRIMARY KEY (db, store, key));
    `);
    this.#put = this.db.prepare(
      'INSERT OR REPLACE INTO records (db, store, key, value) VALUES (?, ?, ?, ?)',
    );
    this.#delete = this.db.prepare('DELETE FROM records WHERE db = ? AND store = ? AND key = ?');
    this.#clear = this.db.prepare('DELETE FROM records WHERE db = ? AND store = ?');
  }

  /** Write one committed transaction's changes atomically. */
  commit(dbName: string, ops: readonly Op[]): void {
    this.db.exec('BEGIN');
    try {
      for (const op of ops) {
        if (op.kind === 'put') this.#put.run(dbName, op.store, op.key, op.value);
        else if (op.kind === 'delete') this.#delete.run(dbName, op.store, op.key);
        else this.#clear.run(dbName, op.store);
      }
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Record a database's version and schema; drop records of stores it no longer has. */
  saveSchema(raw: RawDatabase): void {
    const stores = [...raw.rawObjectStores.values()].map((s) => ({
      name: s.name,
      keyPath: s.keyPath,
      autoIncrement: s.keyGenerator !== null,
      indexes: [...s.rawIndexes.values()].map((i) => ({
        name: i.name,
        keyPath: i.keyPath,
        unique: i.unique,
        multiEntry: i.multiEntry,
      })),
    }));
    this.db.exec('BEGIN');
    try {
      this.db
        .prepare('INSERT OR REPLACE INTO dbs (name, version, schema) VALUES (?, ?, ?)')
        .run(raw.name, raw.version, JSON.stringify(stores));
      const names = stores.map((s) => s.name);
      for (const row of this.db
        .prepare('SELECT DISTINCT store FROM records WHERE db = ?')
        .all(raw.name) as { store: string }[]) {
        if (!names.includes(row.store)) this.#clear.run(raw.name, row.store);
      }
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * No new transactions come here; the file closes once those still running have been written
   * (the SDK may finish writing after its client stopped).
   */
  release(): void {
    this.#released = true;
    this.#closeIfDone();
  }

  /** A journalled transaction completed or aborted. */
  settled(): void {
    this.pending--;
    this.#closeIfDone();
  }

  #closeIfDone(): void {
    if (this.#released && this.pending <= 0 && this.db.isOpen) this.db.close();
  }

  forget(dbName: string): void {
    this.db.prepare('DELETE FROM records WHERE db = ?').run(dbName);
    this.db.prepare('DELETE FROM dbs WHERE name = ?').run(dbName);
  }
}
