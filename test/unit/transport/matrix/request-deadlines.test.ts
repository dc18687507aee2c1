import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  deadlineOf,
  REQUEST_DEADLINES,
  withDeadlines,
} from '../../../../src/transport/matrix/request-deadlines.ts';

const HS = 'https://hs.example.org/_matrix/client/v3';

test('every request has a deadline but the initial sync; a long poll gets its timeout plus grace', () => {
  const d = { requestMs: 30_000, syncGraceMs: 20_000 };
  assert.equal(deadlineOf(`${HS}/rooms/!r%3Ax/send/m.room.encrypted/t1`, d), 30_000);
  assert.equal(deadlineOf(`${HS}/keys/query`, d), 30_000);
  assert.equal(deadlineOf(`${HS}/sync?since=s1&timeout=30000`, d), 50_000);
  assert.equal(deadlineOf(`${HS}/sync?since=s1&timeout=0`, d), 20_000);
  assert.equal(deadlineOf(`${HS}/sync?since=s1&timeout=nonsense`, d), 20_000);
  assert.equal(deadlineOf(`${HS}/sync?timeout=0&filter=f`, d), undefined);
  assert.deepEqual(REQUEST_DEADLINES, d);
});

/** A fetch whose server never answers: it settles only when the request is aborted. */
const silent: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener('abort', () => {
      reject(init.signal?.reason as Error);
    });
  });

test('a request nobody answers fails at its deadline, not as an abort the caller asked for', async () => {
  const timed = withDeadlines(silent, { requestMs: 50, syncGraceMs: 80 });
  const started = Date.now();
  await assert.rejects(timed(`${HS}/rooms/!r%3Ax/send/m.room.message/t1`, { method: 'PUT' }), {
    name: 'TimeoutError',
  });
  const sync = Date.now();
  await assert.rejects(timed(`${HS}/sync?since=s1&timeout=40`), { name: 'TimeoutError' });
  assert.ok(Date.now() - sync >= 110, 'the long poll had its timeout and grace');
  assert.ok(sync - started < 1000);
  // The caller's own abort still wins, with the caller's reason.
  const caller = new AbortController();
  const pending = timed(`${HS}/keys/query`, { signal: caller.signal });
  caller.abort(new Error('stopped'));
  await assert.rejects(pending, /stopped/);
});

test('an answered request is passed through untouched', async () => {
  const timed = withDeadlines(() => Promise.resolve(Response.json({ ok: true })));
  const response = await timed(`${HS}/sync?timeout=0`);
  assert.deepEqual(await response.json(), { ok: true });
});
