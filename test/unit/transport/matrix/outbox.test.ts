import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoomOutbox, type OutboxContext } from '../../../../src/transport/matrix/outbox.ts';
import type { JsonObject, Outbound } from '../../../../src/transport/transport.ts';

interface Sent {
  readonly type: string;
  readonly content: JsonObject;
  readonly txnId: string;
}

/** An outbox over a room that records events and accepts each when `accept()` is called. */
function room(fail?: (sent: Sent) => Error | undefined) {
  const sent: Sent[] = [];
  const waiting: (() => void)[] = [];
  const cancelled: string[] = [];
  const ctx: OutboxContext = {
    sendEvent: (type, content, txnId, signal) => {
      const event = { type, content, txnId };
      sent.push(event);
      return new Promise((resolve, reject) => {
        signal.addEventListener('abort', () => {
          reject(signal.reason as Error);
        });
        waiting.push(() => {
          const error = fail?.(event);
          if (error) reject(error);
          else resolve(`$e${String(sent.indexOf(event))}`);
        });
      });
    },
    cancel: (txnId) => cancelled.push(txnId),
  };
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  /** Accept every event on the wire until the queue is empty. */
  const acceptAll = async () => {
    for (let rounds = 0; rounds < 100; rounds++) {
      await tick();
      const next = waiting.shift();
      if (!next) return;
      next();
    }
  };
  /** Accept the one event on the wire. */
  const acceptNext = async () => {
    await tick();
    waiting.shift()?.();
    await tick();
  };
  return { outbox: new RoomOutbox(ctx), sent, cancelled, acceptAll, acceptNext, tick };
}

const payload = (i: number): Outbound => ({
  type: 'payload',
  payload: { kind: 'task.request', version: 1, body: { i } },
});
const text = (t: string): Outbound => ({ type: 'text', text: t });
const never = new AbortController().signal;

test('payloads sent together leave as one batch event, in order, each with its own receipt', async () => {
  const r = room();
  const receipts = [0, 1, 2, 3, 4].map((i) => r.outbox.submit(payload(i), `t${String(i)}`, never));
  await r.acceptAll();
  assert.deepEqual(
    (await Promise.all(receipts)).map((x) => x.id),
    ['$e0#0', '$e0#1', '$e0#2', '$e0#3', '$e0#4'],
  );
  assert.equal(r.sent.length, 1);
  assert.equal(r.sent[0]?.type, 'org.mxagent._batch');
  assert.deepEqual(r.sent[0]?.content, {
    version: 1,
    payloads: [0, 1, 2, 3, 4].map((i) => ({ kind: 'task.request', version: 1, body: { i } })),
  });
});

test('a lone payload goes as its own event; payloads that queue behind it go batched', async () => {
  const r = room();
  const first = r.outbox.submit(payload(0), 't0', never);
  await r.tick();
  await r.tick();
  const later = [1, 2, 3].map((i) => r.outbox.submit(payload(i), `t${String(i)}`, never));
  await r.acceptAll();
  assert.equal((await first).id, '$e0');
  assert.deepEqual(
    (await Promise.all(later)).map((x) => x.id),
    ['$e1#0', '$e1#1', '$e1#2'],
  );
  assert.deepEqual(
    r.sent.map((s) => [s.type, s.txnId === 't0']),
    [
      ['org.mxagent.task.request', true],
      ['org.mxagent._batch', false],
    ],
  );
});

test('text is never batched, and keeps its place between payloads', async () => {
  const r = room();
  const all = [
    r.outbox.submit(text('a'), 'ta', never),
    r.outbox.submit(text('b'), 'tb', never),
    r.outbox.submit(payload(0), 't0', never),
    r.outbox.submit(payload(1), 't1', never),
    r.outbox.submit(text('c'), 'tc', never),
    r.outbox.submit(payload(2), 't2', never),
  ];
  await r.acceptAll();
  await Promise.all(all);
  assert.deepEqual(
    r.sent.map((s) => s.type),
    [
      'm.room.message',
      'm.room.message',
      'org.mxagent._batch',
      'm.room.message',
      'org.mxagent.task.request',
    ],
  );
  assert.deepEqual(r.sent[3]?.content, { msgtype: 'm.text', body: 'c' });
});

test('a burst past 32 payloads is split into batches of at most 32', async () => {
  const r = room();
  const all = Array.from({ length: 70 }, (_, i) =>
    r.outbox.submit(payload(i), `t${String(i)}`, never),
  );
  await r.acceptAll();
  const ids = (await Promise.all(all)).map((x) => x.id);
  assert.deepEqual(
    r.sent.map((s) => (s.content.payloads as unknown[] | undefined)?.length ?? 1),
    [32, 32, 6],
  );
  assert.equal(ids[31], '$e0#31');
  assert.equal(ids[32], '$e1#0');
  assert.equal(ids[69], '$e2#5');
});

test('a send aborted while queued is dropped from its batch; the others still go', async () => {
  const r = room();
  const abort = new AbortController();
  const kept = r.outbox.submit(payload(0), 't0', never);
  const dropped = r.outbox.submit(payload(1), 't1', abort.signal);
  const alsoKept = r.outbox.submit(payload(2), 't2', never);
  abort.abort(new Error('changed my mind'));
  await assert.rejects(dropped, /changed my mind/);
  await r.acceptAll();
  assert.deepEqual([(await kept).id, (await alsoKept).id], ['$e0#0', '$e0#1']);
  assert.deepEqual(
    (r.sent[0]?.content.payloads as { body: { i: number } }[]).map((p) => p.body.i),
    [0, 2],
  );
});

test('a batch that fails rejects every send in it, and the queue goes on', async () => {
  const r = room((s) => (s.type === 'org.mxagent._batch' ? new Error('M_TOO_LARGE') : undefined));
  const batch = Promise.allSettled(
    [0, 1].map((i) => r.outbox.submit(payload(i), `t${String(i)}`, never)),
  );
  const after = r.outbox.submit(text('still here'), 'tx', never);
  await r.acceptAll();
  assert.deepEqual(
    (await batch).map((s) => (s.status === 'rejected' ? String(s.reason) : s.status)),
    ['Error: M_TOO_LARGE', 'Error: M_TOO_LARGE'],
  );
  assert.equal((await after).id, '$e1');
});

test('a batch is withdrawn only when every send in it was abandoned', async () => {
  const r = room();
  const hold = r.outbox.submit(text('first'), 'tf', never);
  const a = new AbortController();
  const b = new AbortController();
  // Queued behind the text, then on the wire together; both abandoned while it is in flight.
  const pa = r.outbox.submit(payload(0), 't0', a.signal);
  const pb = r.outbox.submit(payload(1), 't1', b.signal);
  pa.catch(() => undefined);
  pb.catch(() => undefined);
  await r.tick();
  await r.tick();
  assert.equal(r.sent.length, 1);
  await r.acceptNext();
  await hold;
  assert.equal(r.sent.length, 2);
  a.abort(new Error('a gave up'));
  await r.tick();
  assert.deepEqual(r.cancelled, [], 'b still wants it sent');
  b.abort(new Error('b gave up'));
  await assert.rejects(pa, /every send in the batch was abandoned/);
  await assert.rejects(pb, /every send in the batch was abandoned/);
  assert.deepEqual(r.cancelled, [r.sent[1]?.txnId]);
});
