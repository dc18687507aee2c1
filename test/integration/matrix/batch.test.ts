/**
 * Payloads sent in a burst to one room travel as fewer encrypted events (batches, specs §4.1.1)
 * and arrive, live and in history, exactly as if each had been its own event; text never does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  InboundMessage,
  Payload,
  Target,
  TransportEvent,
} from '../../../src/transport/transport.ts';
import { call } from '../../support/devserver.ts';
import { MatrixTestbed } from '../../support/matrix-peers.ts';

type PayloadMessage = InboundMessage & { type: 'payload' };
const isPayload = (e: TransportEvent): e is PayloadMessage => e.type === 'payload';
const payload = (i: number): Payload => ({
  kind: 'test.burst',
  version: 1,
  body: { i, pad: 'p'.repeat(200) },
});

describe('matrix transport: batched payloads', () => {
  let bed: MatrixTestbed;
  before(async () => {
    bed = await MatrixTestbed.start();
  });
  after(async () => {
    await bed.dispose();
  });

  /** The non-state events of a room as the server holds them, oldest first. */
  async function wireEvents(roomId: string, token: string): Promise<{ type: string }[]> {
    const raw = await call(
      bed.hs,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1000`,
      undefined,
      token,
    );
    return (raw.body.chunk as { type: string; state_key?: string }[])
      .filter((e) => e.state_key === undefined)
      .reverse();
  }

  it('a burst arrives in order, each once, with the receipts ids, as fewer events; history unpacks it', async () => {
    const alice = await bed.account('alice');
    const bob = await bed.account('bob');
    const a = await bed.connect(alice);
    const b = await bed.connect(bob);
    const workspace = bed.workspace('batch');
    const where: Target = { kind: 'workspace', workspace };
    await a.t.joinWorkspace(workspace);
    await b.t.joinWorkspace(workspace);
    const n = 40;
    const receipts = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        a.t.send(where, { type: 'payload', payload: payload(i) }),
      ),
    );
    const got = (await b.r.waitForCount(isPayload, n, 20_000)).filter(isPayload);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const all = b.r.events.filter(isPayload);
    assert.equal(all.length, n, 'each exactly once');
    assert.deepEqual(
      got.map((m) => m.payload.body.i),
      Array.from({ length: n }, (_, i) => i),
      'in the order sent',
    );
    assert.deepEqual(
      got.map((m) => m.id),
      receipts.map((r) => r.id),
      'the ids the receipts named',
    );
    for (const m of got) {
      assert.equal(m.from, alice.userId);
      assert.deepEqual(m.target, where);
      assert.equal(m.delayed, false);
      assert.deepEqual(m.payload, payload(m.payload.body.i as number));
    }
    const events = await wireEvents(await bed.roomIdOf(workspace), bob.accessToken);
    assert.ok(
      events.length < n && events.every((e) => e.type === 'm.room.encrypted'),
      `${String(events.length)} encrypted events on the wire for ${String(n)} payloads`,
    );

    // History, three at a time: pages end inside batches and go on from there.
    const read: InboundMessage[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 40; pages++) {
      const page = await b.t.history(where, { limit: 3, ...(cursor ? { before: cursor } : {}) });
      assert.ok(
        page.messages.length <= 3,
        `at most 3 on a page, got ${String(page.messages.length)}`,
      );
      read.push(...page.messages);
      cursor = page.next;
      if (!cursor) break;
    }
    const history = read.filter(isPayload).reverse();
    assert.deepEqual(
      history.map((m) => m.id),
      receipts.map((r) => r.id),
      'history holds every payload once, in order, with the live ids',
    );
    for (const [i, m] of history.entries()) {
      const { timestamp: _live, delayed: _d, ...live } = got[i] as PayloadMessage;
      const { timestamp: _hist, delayed, ...past } = m;
      assert.equal(delayed, true);
      assert.deepEqual(past, live);
    }
    const whole = await b.t.history(where, { limit: 100 });
    assert.deepEqual(
      whole.messages.filter(isPayload).map((m) => m.payload.body.i),
      Array.from({ length: n }, (_, i) => n - 1 - i),
      'one page reads the same, newest first',
    );
  });

  it('text is never batched: a burst of text is one m.room.message each', async () => {
    const alice = await bed.account('alice');
    const bob = await bed.account('bob');
    const a = await bed.connect(alice, { encryption: false });
    const b = await bed.connect(bob, { encryption: false });
    const workspace = bed.workspace('text');
    const where: Target = { kind: 'workspace', workspace };
    await a.t.joinWorkspace(workspace);
    await b.t.joinWorkspace(workspace);
    const texts = Array.from({ length: 8 }, (_, i) => `line ${String(i)}`);
    const receipts = await Promise.all(
      texts.map((text) => a.t.send(where, { type: 'text', text })),
    );
    const got = await b.r.waitForCount((e) => e.type === 'text', texts.length, 20_000);
    assert.deepEqual(
      got.map((m) => (m.type === 'text' ? m.text : '')),
      texts,
    );
    assert.deepEqual(
      got.map((m) => (m.type === 'text' ? m.id : '')),
      receipts.map((r) => r.id),
    );
    const events = await wireEvents(await bed.roomIdOf(workspace), bob.accessToken);
    assert.deepEqual(
      events.map((e) => e.type),
      texts.map(() => 'm.room.message'),
    );
  });

  it('rejects a malformed batch without crashing, and delivers a well-formed one from another client', async () => {
    const alice = await bed.account('alice');
    const mallory = await bed.account('mallory');
    const a = await bed.connect(alice, { encryption: false });
    const workspace = bed.workspace('hostile');
    await a.t.joinWorkspace(workspace);
    const room = encodeURIComponent(await bed.roomIdOf(workspace));
    await call(bed.hs, 'POST', `/_matrix/client/v3/join/${room}`, {}, mallory.accessToken);
    const put = (content: unknown, txn: string) =>
      call(
        bed.hs,
        'PUT',
        `/_matrix/client/v3/rooms/${room}/send/org.mxagent._batch/${txn}`,
        content,
        mallory.accessToken,
      );
    await put({ version: 1, payloads: 'all of them' }, 'b1');
    await put({ version: 1, payloads: [payload(1), { kind: 'x', version: 0, body: {} }] }, 'b2');
    await put({ version: 2, payloads: [payload(2)] }, 'b3');
    const good = await put({ version: 1, payloads: [payload(3), payload(4)] }, 'b4');
    const rejected = await a.r.waitForCount((e) => e.type === 'rejected', 3, 15_000);
    const reasons = rejected.map((e) => (e.type === 'rejected' ? e.reason : ''));
    assert.deepEqual(reasons, [
      'malformed org.mxagent._batch event: expected "payloads" to be a list of 1 to 32 payloads, got "all of them"',
      'malformed org.mxagent._batch event: payloads[1]: expected a payload version that is a positive integer, got 0',
      'malformed org.mxagent._batch event: expected batch version 1, got 2',
    ]);
    const delivered = (await a.r.waitForCount(isPayload, 2, 15_000)).filter(isPayload);
    const eventId = String(good.body.event_id);
    assert.deepEqual(
      delivered.map((m) => [m.id, m.payload.body.i, m.from]),
      [
        [`${eventId}#0`, 3, mallory.userId],
        [`${eventId}#1`, 4, mallory.userId],
      ],
    );
    assert.equal(a.t.state, 'online');
  });
});
