/**
 * The durable IndexedDB: what a committed transaction wrote is there in the next process,
 * and nothing an aborted one wrote. Each phase runs in its own process, as restarts do.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'mx-idb-'));
const file = join(dir, 'indexeddb.sqlite');
const module = fileURLToPath(
  new URL('../../../../src/transport/matrix/durable-idb.ts', import.meta.url),
);
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Run `body` (an async function body with `idb` helpers in scope) in a fresh process. */
function phase(body: string): unknown {
  const script = `
    import { releaseDurableIndexedDb, useDurableIndexedDb } from ${JSON.stringify(module)};
    await useDurableIndexedDb('mxa0123', ${JSON.stringify(file)});
    const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    const txDone = (t) => new Promise((res, rej) => { t.oncomplete = () => res(); t.onabort = () => rej(t.error ?? new Error('aborted')); });
    const open = (version, upgrade) => { const r = indexedDB.open('app:mxa0123-crypto', version); if (upgrade) r.onupgradeneeded = () => upgrade(r.result, r.transaction); return req(r); };
    const out = await (async () => { ${body} })();
    console.log(JSON.stringify(out ?? null));
    process.exit(0);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? 'null');
}

test('committed writes survive a restart; aborted ones never reach the disk', () => {
  phase(`
    const db = await open(1, (db) => {
      const s = db.createObjectStore('sessions', { keyPath: 'id' });
      s.createIndex('byRoom', 'room');
      db.createObjectStore('kv');
      db.createObjectStore('log', { autoIncrement: true });
    });
    let t = db.transaction(['sessions', 'kv', 'log'], 'readwrite');
    t.objectStore('sessions').put({ id: 's1', room: '!a', bytes: new Uint8Array([1, 2, 3]) });
    t.objectStore('sessions').put({ id: 's2', room: '!b', bytes: new Uint8Array([4]) });
    t.objectStore('sessions').put({ id: 's3', room: '!a', bytes: new Uint8Array([]) });
    t.objectStore('kv').put({ nested: { list: [1, 'x', null] }, at: new Date(5) }, ['k', 1]);
    t.objectStore('log').add('first');
    t.objectStore('log').add('second');
    await txDone(t);
    t = db.transaction(['sessions'], 'readwrite');
    t.objectStore('sessions').delete('s2');
    await txDone(t);
    t = db.transaction(['kv'], 'readwrite');
    t.objectStore('kv').put('never', 'aborted-key');
    t.abort();
    await txDone(t).catch(() => undefined);
  `);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const seen = phase(`
    const db = await open(1);
    const t = db.transaction(['sessions', 'kv', 'log'], 'readonly');
    const sessions = await req(t.objectStore('sessions').getAll());
    const inA = await req(t.objectStore('sessions').index('byRoom').getAllKeys('!a'));
    const kv = await req(t.objectStore('kv').get(['k', 1]));
    const aborted = await req(t.objectStore('kv').get('aborted-key'));
    const log = await req(t.objectStore('log').getAll());
    return {
      sessions: sessions.map((s) => [s.id, [...s.bytes], s.bytes instanceof Uint8Array]),
      inA, kv: [kv.nested, kv.at instanceof Date, kv.at.getTime()], aborted: aborted ?? null, log,
    };
  `);
  assert.deepEqual(seen, {
    sessions: [
      ['s1', [1, 2, 3], true],
      ['s3', [], true],
    ],
    inA: ['s1', 's3'],
    kv: [{ list: [1, 'x', null] }, true, 5],
    aborted: null,
    log: ['first', 'second'],
  });
});

test('upgrades, range deletes and clears persist; the key generator continues', () => {
  phase(`
    const db = await open(2, (db) => {
      db.deleteObjectStore('kv');
      db.createObjectStore('extra');
    });
    const t = db.transaction(['sessions', 'log', 'extra'], 'readwrite');
    t.objectStore('sessions').delete(IDBKeyRange.bound('s0', 's2'));
    t.objectStore('log').add('third');
    t.objectStore('extra').put(1, 'a');
    t.objectStore('extra').clear();
    t.objectStore('extra').put(2, 'b');
    await txDone(t);
  `);
  const seen = phase(`
    const db = await open(2);
    const t = db.transaction(['sessions', 'log', 'extra'], 'readonly');
    return {
      stores: [...db.objectStoreNames],
      version: db.version,
      sessions: await req(t.objectStore('sessions').getAllKeys()),
      log: await req(t.objectStore('log').getAllKeys()),
      extra: await req(t.objectStore('extra').getAllKeys()),
    };
  `);
  assert.deepEqual(seen, {
    stores: ['extra', 'log', 'sessions'],
    version: 2,
    sessions: ['s3'],
    log: [1, 2, 3],
    extra: ['b'],
  });
});

test('a transaction is on disk before the application hears that it completed', () => {
  const seen = phase(`
    const { DatabaseSync } = await import('node:sqlite');
    const db = await open(2);
    const t = db.transaction(['extra'], 'readwrite');
    const onDisk = new Promise((resolve) => {
      t.oncomplete = () => {
        const file = new DatabaseSync(${JSON.stringify(file)});
        resolve(file.prepare("SELECT COUNT(*) AS n FROM records WHERE store = 'extra'").get().n);
        file.close();
      };
    });
    t.objectStore('extra').put(3, 'c');
    return await onDisk;
  `);
  assert.equal(seen, 2);
});

test('a transaction still running when its store is released is written, then the file closes', () => {
  phase(`
    const db = await open(2);
    const t = db.transaction(['extra'], 'readwrite');
    t.objectStore('extra').put(4, 'late');
    releaseDurableIndexedDb('mxa0123');
    await txDone(t);
  `);
  const seen = phase(`
    const db = await open(2);
    return await req(db.transaction(['extra'], 'readonly').objectStore('extra').get('late'));
  `);
  assert.equal(seen, 4);
});
