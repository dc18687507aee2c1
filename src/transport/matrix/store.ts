/**
 * What a Matrix device keeps on disk, in its private store directory:
 * - `lock`: the pid of the one process allowed to use the store (the Rust crypto store is not
 *   safe to share; two syncing processes would also consume each other's to-device messages);
 * - `storage.key`: 32 random bytes (mode 0600) that encrypt the crypto database;
 * - `indexeddb.sqlite`: the IndexedDB databases (durable-idb.ts) of the Rust crypto store
 *   (its contents encrypted with the storage key) and of the sync store (rooms, state and the
 *   sync token, so a restart syncs on from where it stopped);
 * - `ledger.db`: which events were delivered to listeners, and since when this device listens,
 *   so a restart neither loses nor re-delivers events.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ConfigError, RefusedError, messageOf } from '../../errors.ts';
import { isAlive, processStart } from '../../processes.ts';

const KEY_BYTES = 32;
/** Delivered event ids kept for de-duplication; older ones are beyond any sync overlap. */
const LEDGER_CAPACITY = 20_000;

/** Locks held by this process, so two transports in one process cannot share a store either. */
const heldHere = new Set<string>();

function privateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** Take the store's lock or throw RefusedError naming the process that holds it. */
export function lockStore(dir: string): () => void {
  privateDir(dir);
  const file = join(dir, 'lock');
  if (heldHere.has(file)) {
    throw new RefusedError(`the Matrix store ${dir} is already open in this process`);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      // The pid and its start time: a reused pid is not mistaken for the holder.
      writeFileSync(file, `${String(process.pid)} ${processStart(process.pid) ?? ''}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        throw new RefusedError(`cannot lock the Matrix store ${dir}: ${messageOf(error)}`, {
          cause: error,
        });
      }
      const [pidText = '', started] = readFileSync(file, 'utf8').trim().split(' ');
      const holder = Number.parseInt(pidText, 10);
      const same =
        !started || processStart(holder) === undefined || processStart(holder) === started;
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder) && same) {
        throw new RefusedError(
          `the Matrix store ${dir} is in use by process ${String(holder)}; one process per device (stop it, or use its session host)`,
        );
      }
      rmSync(file, { force: true }); // left by a process that died
    }
  }
  heldHere.add(file);
  return () => {
    heldHere.delete(file);
    rmSync(file, { force: true });
  };
}

/** The key that encrypts the crypto database: created once, mode 0600. */
export function storageKey(dir: string): Uint8Array {
  const file = join(dir, 'storage.key');
  try {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new ConfigError(
        `expected ${String(KEY_BYTES)} bytes of base64 in ${file}, got ${String(key.length)} bytes`,
      );
    }
    return new Uint8Array(key);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(KEY_BYTES);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return new Uint8Array(key);
}

/**
 * Provide IndexedDB for the store's databases (crypto store, sync store) and return the prefix
 * of their names: durable, in `<store>/indexeddb.sqlite` (see durable-idb.ts).
 */
export async function indexedDbFor(storeDir: string): Promise<string> {
  privateDir(storeDir);
  const id = databaseId(storeDir);
  const { useDurableIndexedDb } = await import('./durable-idb.ts');
  await useDurableIndexedDb(id, join(storeDir, 'indexeddb.sqlite'));
  return id;
}

/** Stop persisting the store's databases (the transport closed). */
export async function releaseIndexedDb(storeDir: string): Promise<void> {
  const { releaseDurableIndexedDb } = await import('./durable-idb.ts');
  releaseDurableIndexedDb(databaseId(storeDir));
}

/**
 * The stem of a store's IndexedDB database names: unique per store directory, so the stores of
 * several devices can share one process (tests do) and each database finds its file.
 */
export function databaseId(storeDir: string): string {
  return `mxa${createHash('sha256').update(basename(storeDir)).digest('hex').slice(0, 24)}`;
}

/**
 * Delete a device's store: its directory and its IndexedDB files (crypto keys, Megolm
 * sessions, sync state). Messages only this device could decrypt become unreadable here.
 */
export function wipeStore(storeDir: string): void {
  rmSync(storeDir, { recursive: true, force: true });
}

/** Delivered events and the time this device started listening. */
export class Ledger {
  readonly #db: DatabaseSync;
  readonly #insert;
  readonly #has;
  #sincePrune = 0;

  constructor(storeDir: string) {
    const file = join(storeDir, 'ledger.db');
    this.#db = new DatabaseSync(file);
    chmodSync(file, 0o600);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS delivered (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE);
      CREATE TABLE IF NOT EXISTS room_floor (room_id TEXT PRIMARY KEY, since INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS workspace (name TEXT PRIMARY KEY, room_id TEXT NOT NULL);
    `);
    this.#insert = this.#db.prepare('INSERT OR IGNORE INTO delivered (event_id) VALUES (?)');
    this.#has = this.#db.prepare('SELECT 1 AS x FROM delivered WHERE event_id = ?');
  }

  /**
   * When this device first listened (ms since epoch). Events older than that were encrypted
   * before the device existed and are history, not input.
   */
  listeningSince(): number {
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = 'since'").get();
    if (row && typeof row.value === 'string') return Number(row.value);
    const now = Date.now();
    this.#db.prepare("INSERT INTO meta (key, value) VALUES ('since', ?)").run(String(now));
    return now;
  }

  /** Was this event delivered before (by this or an earlier process)? */
  delivered(eventId: string): boolean {
    return this.#has.get(eventId) !== undefined;
  }

  /** Record a delivery; false when it was already recorded. */
  record(eventId: string): boolean {
    const fresh = this.#insert.run(eventId).changes > 0;
    if (fresh && ++this.#sincePrune >= 1000) {
      this.#sincePrune = 0;
      this.#db
        .prepare('DELETE FROM delivered WHERE seq <= (SELECT MAX(seq) FROM delivered) - ?')
        .run(LEDGER_CAPACITY);
    }
    return fresh;
  }

  /** Events of a room before this time are history (0: everything since listeningSince). */
  floor(roomId: string): number {
    const row = this.#db.prepare('SELECT since FROM room_floor WHERE room_id = ?').get(roomId);
    return typeof row?.since === 'number' ? row.since : 0;
  }

  /** Set a room's floor: the time we joined it (0 for direct rooms: everything is for us). */
  setFloor(roomId: string, since: number): void {
    this.#db
      .prepare(
        'INSERT INTO room_floor (room_id, since) VALUES (?, ?) ON CONFLICT(room_id) DO NOTHING',
      )
      .run(roomId, since);
  }

  /** The workspaces joined, by the name they were joined with. */
  workspaces(): [string, string][] {
    return this.#db
      .prepare('SELECT name, room_id FROM workspace ORDER BY name')
      .all()
      .map((row) => [String(row.name), String(row.room_id)]);
  }

  addWorkspace(name: string, roomId: string): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO workspace (name, room_id) VALUES (?, ?)')
      .run(name, roomId);
  }

  removeWorkspace(name: string): void {
    this.#db.prepare('DELETE FROM workspace WHERE name = ?').run(name);
    // A later rejoin starts a new floor.
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
