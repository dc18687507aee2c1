/**
 * A persistent IndexedDB for the Matrix crypto and sync stores: fake-indexeddb (a complete,
 * fast, in-memory implementation of the IndexedDB API) with every committed transaction
 * written through to SQLite (`node:sqlite`) before the transaction's `complete` event reaches
 * the application, and everything loaded back at start.
 *
 * Why not indexeddbshim (which stores on SQLite directly): it runs each IndexedDB request as
 * its own SQL round with full DOM event dispatch, and the Rust crypto makes ~30 transactions
 * per message: an encrypted round trip cost 2.3× a plaintext one (docs/performance.md).
 * Here reads never leave memory and a write transaction is one SQLite transaction.
 *
 * What is stored, per database: its version, its object stores (key path, key generator) and
 * indexes, and each record (key and value, both as V8 structured-clone bytes). Aborted
 * transactions write nothing. Each store directory registers the prefix of its database
 * names; one SQLite file per store directory.
 */
import { deserialize, serialize } from 'node:v8';
import {
  Backing,
  type Op,
  type RawDatabase,
  type RawObjectStore,
  type RawTransaction,
  type StoredSchema,
} from './idb-file.ts';

/*
 * The IndexedDB API as this file uses it. fake-indexeddb's own typings name the DOM's types,
 * which this Node project does not load, so the few calls made here are typed locally.
 */
interface Request<R> {
  result: R;
  error: Error | null;
  transaction: Transaction | null;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
  onupgradeneeded?: (() => void) | null;
  addEventListener(type: 'success', listener: () => void): void;
}
interface Store {
  readonly keyPath: string | string[] | null;
  createIndex(name: string, keyPath: string | string[], options: object): unknown;
  put(value: unknown, key?: unknown): unknown;
}
interface Transaction {
  objectStore(name: string): Store;
  error: Error | null;
  oncomplete: (() => void) | null;
  onabort: (() => void) | null;
}
interface Database {
  createObjectStore(name: string, options?: object): Store;
  transaction(names: string[], mode: 'readwrite'): Transaction;
  close(): void;
}
interface Factory {
  open(name: string, version?: number): Request<Database>;
  deleteDatabase(name: string): Request<undefined>;
}
interface KeyRangeClass {
  only(key: unknown): unknown;
}
interface FakeIndexedDbModule {
  IDBFactory: new () => Factory;
  IDBDatabase: unknown;
  IDBKeyRange: KeyRangeClass;
  [name: string]: unknown;
}

/** Registered store directories: database-name prefix → backing file. */
const backings = new Map<string, Backing>();
/** Pending changes of running transactions, by the transaction's rollback log. */
const journals = new WeakMap<unknown[], { dbName: string; ops: Op[] }>();
let restoring = false;
let installed: Factory | undefined;
/** fake-indexeddb's key range class, once loaded. */
let keyRange: KeyRangeClass | undefined;

function backingFor(dbName: string): Backing | undefined {
  for (const [prefix, backing] of backings) if (dbName.includes(prefix)) return backing;
  return undefined;
}

/**
 * Start journalling a transaction of a durable database. The `complete` listener is added
 * before the application's own (when called at creation), so a transaction's changes are on
 * disk before the application learns that it committed.
 */
function startJournal(
  dbName: string,
  tx: RawTransaction,
): { dbName: string; ops: Op[] } | undefined {
  const existing = journals.get(tx._rollbackLog);
  if (existing) return existing;
  const backing = backingFor(dbName);
  if (!backing || restoring) return undefined;
  const journal = { dbName, ops: [] as Op[] };
  journals.set(tx._rollbackLog, journal);
  backing.pending++;
  tx.addEventListener('complete', () => {
    try {
      if (journal.ops.length > 0) backing.commit(journal.dbName, journal.ops);
    } finally {
      backing.settled();
    }
  });
  tx.addEventListener('abort', () => {
    backing.settled();
  });
  return journal;
}

/** The journal of the transaction a raw store operation runs in (undefined: not persisted). */
function journalOf(store: RawObjectStore, rollbackLog: unknown[] | undefined): Op[] | undefined {
  if (restoring || !rollbackLog) return undefined;
  const existing = journals.get(rollbackLog);
  if (existing) return existing.ops;
  // An upgrade transaction (not made through IDBDatabase.transaction): found by its log.
  const tx = store.rawDatabase.transactions.find((t) => t._rollbackLog === rollbackLog);
  return tx ? startJournal(store.rawDatabase.name, tx)?.ops : undefined;
}

/** Wrap fake-indexeddb's raw object store so writes are journalled per transaction. */
function hookRawStore(proto: RawObjectStore): void {
  const storeRecord = proto.storeRecord;
  proto.storeRecord = function (this: RawObjectStore, record, noOverwrite, rollbackLog) {
    const key = storeRecord.call(this, record, noOverwrite, rollbackLog);
    journalOf(this, rollbackLog)?.push({
      kind: 'put',
      store: this.name,
      key: serialize(key),
      value: serialize(record.value),
    });
    return key;
  };
  const deleteRecord = proto.deleteRecord;
  proto.deleteRecord = function (this: RawObjectStore, range, rollbackLog) {
    const ops = journalOf(this, rollbackLog);
    // A single key comes as the key itself, a range as a key range.
    const ranges = keyRange as KeyRangeClass & (abstract new () => unknown);
    const asRange = range instanceof ranges ? range : ranges.only(range);
    const keys = ops ? [...this.records.values(asRange)].map((r) => serialize(r.key)) : [];
    deleteRecord.call(this, range, rollbackLog);
    for (const key of keys) ops?.push({ kind: 'delete', store: this.name, key });
  };
  const clear = proto.clear;
  proto.clear = function (this: RawObjectStore, rollbackLog) {
    clear.call(this, rollbackLog);
    journalOf(this, rollbackLog)?.push({ kind: 'clear', store: this.name });
  };
}

function done(request: { onsuccess: unknown; onerror: unknown; error?: unknown }): Promise<void> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => {
      resolve();
    };
    request.onerror = () => {
      reject(
        request.error instanceof Error ? request.error : new Error('IndexedDB request failed'),
      );
    };
  });
}

/** Install the durable IndexedDB as the process's `indexedDB` (once). */
async function install(): Promise<Factory> {
  if (installed) return installed;
  const fake = (await import('fake-indexeddb')) as unknown as FakeIndexedDbModule;
  keyRange = fake.IDBKeyRange;
  const factory = new fake.IDBFactory();
  // Reach the raw object store prototype through a throwaway database.
  const probe = factory.open('mx-agent-probe', 1);
  let rawProto: RawObjectStore | undefined;
  probe.onupgradeneeded = () => {
    const store = probe.result.createObjectStore('x') as unknown as {
      _rawObjectStore: RawObjectStore;
    };
    rawProto = Object.getPrototypeOf(store._rawObjectStore) as RawObjectStore;
  };
  await done(probe);
  probe.result.close();
  await done(factory.deleteDatabase('mx-agent-probe'));
  if (!rawProto) throw new Error('fake-indexeddb exposed no object store to hook');
  hookRawStore(rawProto);
  const database = fake.IDBDatabase as {
    prototype: { transaction: (this: { name: string }, ...args: unknown[]) => RawTransaction };
  };
  const transaction = database.prototype.transaction;
  database.prototype.transaction = function (this: { name: string }, ...args: unknown[]) {
    const tx = transaction.apply(this, args);
    if (tx.mode === 'readwrite') startJournal(this.name, tx);
    return tx;
  };
  // Versions and schemas are saved whenever a database opens (every upgrade ends with an open).
  const open = factory.open.bind(factory);
  factory.open = (name: string, version?: number) => {
    const request = open(name, version);
    request.addEventListener('success', () => {
      const backing = backingFor(name);
      if (backing && !restoring) {
        backing.saveSchema(
          (request.result as unknown as { _rawDatabase: RawDatabase })._rawDatabase,
        );
      }
    });
    return request;
  };
  const deleteDatabase = factory.deleteDatabase.bind(factory);
  factory.deleteDatabase = (name: string) => {
    const request = deleteDatabase(name);
    request.addEventListener('success', () => {
      backingFor(name)?.forget(name);
    });
    return request;
  };
  // The IndexedDB globals code written for browsers looks up (IDBKeyRange, IDBCursor, …).
  for (const [name, value] of Object.entries(fake)) {
    if (name.startsWith('IDB')) Object.assign(globalThis, { [name]: value });
  }
  Object.assign(globalThis, { indexedDB: factory });
  installed = factory;
  return factory;
}

/** Load one stored database into memory: schema first, then every record. */
async function restore(factory: Factory, backing: Backing, name: string): Promise<void> {
  const row = backing.db.prepare('SELECT version, schema FROM dbs WHERE name = ?').get(name) as
    { version: number; schema: string } | undefined;
  if (!row) return;
  const schema = JSON.parse(row.schema) as StoredSchema[];
  const request = factory.open(name, row.version);
  request.onupgradeneeded = () => {
    const db = request.result;
    for (const s of schema) {
      const store = db.createObjectStore(s.name, {
        keyPath: s.keyPath,
        autoIncrement: s.autoIncrement,
      });
      for (const i of s.indexes) {
        store.createIndex(i.name, i.keyPath, { unique: i.unique, multiEntry: i.multiEntry });
      }
    }
  };
  await done(request);
  const db = request.result;
  if (schema.length > 0) {
    const tx = db.transaction(
      schema.map((s) => s.name),
      'readwrite',
    );
    const finished = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => {
        resolve();
      };
      tx.onabort = () => {
        reject(tx.error ?? new Error(`could not load IndexedDB ${name}`));
      };
    });
    const rows = backing.db
      .prepare('SELECT store, key, value FROM records WHERE db = ?')
      .all(name) as { store: string; key: Uint8Array; value: Uint8Array }[];
    for (const r of rows) {
      const store = tx.objectStore(r.store);
      const value: unknown = deserialize(r.value);
      if (store.keyPath === null) store.put(value, deserialize(r.key) as never);
      else store.put(value);
    }
    await finished;
  }
  db.close();
}

/**
 * Give the databases whose names contain `prefix` durable storage in `file`, loading what it
 * holds; installs the durable IndexedDB as `globalThis.indexedDB` on first use.
 */
export async function useDurableIndexedDb(prefix: string, file: string): Promise<void> {
  const factory = await install();
  if (backings.has(prefix)) return;
  const backing = new Backing(file);
  backings.set(prefix, backing);
  const names = (backing.db.prepare('SELECT name FROM dbs').all() as { name: string }[]).map(
    (r) => r.name,
  );
  restoring = true;
  try {
    for (const name of names) await restore(factory, backing, name);
  } finally {
    restoring = false;
  }
}

/** Stop persisting a store directory's databases and close its file (its data stays). */
export function releaseDurableIndexedDb(prefix: string): void {
  const backing = backings.get(prefix);
  backings.delete(prefix);
  backing?.release();
}
