/**
 * Matrix history beyond the shared contract: read back from the server and decrypted with the
 * device's Megolm keys, what a late-joining device cannot decrypt counted rather than failing,
 * and reading is not delivering (nothing reaches listeners).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  HistoryPage,
  InboundMessage,
  Target,
  Transport,
} from '../../../src/transport/transport.ts';
import { call } from '../../support/devserver.ts';
import { MatrixTestbed, type MatrixAccount } from '../../support/matrix-peers.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const textOf = (m: InboundMessage): string => (m.type === 'text' ? m.text : `<${m.type}>`);

/** Every page of a conversation's history, newest first, and the unreadable count. */
async function readAll(
  t: Transport,
  target: Target,
  limit: number,
): Promise<{ messages: InboundMessage[]; unreadable: number; pages: number }> {
  const messages: InboundMessage[] = [];
  let unreadable = 0;
  let page: HistoryPage | undefined;
  let pages = 0;
  do {
    page = await t.history(target, { limit, ...(page?.next ? { before: page.next } : {}) });
    assert.ok(page.messages.length <= limit, `at most ${String(limit)} on a page`);
    messages.push(...page.messages);
    unreadable += page.unreadable;
    pages++;
  } while (page.next && pages < 100);
  return { messages, unreadable, pages };
}

describe('matrix transport: history', () => {
  let bed: MatrixTestbed;
  const connect = (account: MatrixAccount): ReturnType<MatrixTestbed['connect']> =>
    bed.connect(account);

  before(async () => {
    bed = await MatrixTestbed.start();
  });
  after(async () => {
    await bed.dispose();
  });

  it('decrypts history the server holds only as ciphertext, after a restart, delivering nothing', async () => {
    const alice = await bed.account('alice');
    const bob = await bed.account('bob');
    const a = await connect(alice);
    let b = await connect(bob);
    const workspace = bed.workspace();
    const where = { kind: 'workspace', workspace } as const;
    await a.t.joinWorkspace(workspace);
    await b.t.joinWorkspace(workspace);
    // More than a restarted client keeps of a room's timeline (50 events): the older ones are
    // decrypted from what /messages returns, not taken from memory.
    const count = 60;
    for (let i = 0; i < count; i++) await a.t.send(where, { type: 'text', text: `t${String(i)}` });
    await b.t.send(where, { type: 'text', text: 'own' });
    await b.r.waitFor((e) => e.type === 'text' && e.text === `t${String(count - 1)}`, 20_000);
    await b.t.close();
    b = await connect(bob);

    const roomId = await bed.roomIdOf(workspace);
    const raw = await call(
      bed.hs,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1000`,
      undefined,
      bob.accessToken,
    );
    const wire = (raw.body.chunk as { type: string; state_key?: string }[]).filter(
      (e) => e.state_key === undefined,
    );
    assert.ok(wire.length >= count + 1);
    assert.ok(
      wire.every((e) => e.type === 'm.room.encrypted'),
      'the server holds ciphertext only',
    );

    const seen = b.r.events.length;
    const { messages, unreadable, pages } = await readAll(b.t, where, 25);
    assert.equal(unreadable, 0);
    assert.ok(pages >= 3, `${String(pages)} pages`);
    assert.deepEqual(messages.map(textOf), [
      'own',
      ...Array.from({ length: count }, (_, i) => `t${String(count - 1 - i)}`),
    ]);
    assert.equal(messages[0]?.from, bob.userId, 'our own message, from our own address');
    assert.ok(messages.slice(1).every((m) => m.from === alice.userId && m.delayed));
    assert.ok(messages.every((m) => m.id.startsWith('$') && m.target.kind === 'workspace'));
    await sleep(300);
    assert.deepEqual(b.r.events.slice(seen), [], 'reading history delivers and reports nothing');
  });

  it('a device that joined late counts what it has no keys for as unreadable, and reads the rest', async () => {
    const alice = await bed.account('alice');
    const carol = await bed.account('carol');
    const a = await connect(alice);
    const c = await connect(carol);
    const workspace = bed.workspace();
    const where = { kind: 'workspace', workspace } as const;
    await a.t.joinWorkspace(workspace);
    for (const text of ['early 1', 'early 2', 'early 3'])
      await a.t.send(where, { type: 'text', text });
    await c.t.joinWorkspace(workspace);
    for (let i = 0; i < 100 && !a.t.members(workspace).some((m) => m.address === carol.userId); i++)
      await sleep(50);
    await a.t.send(where, { type: 'text', text: 'late' });
    await c.r.waitFor((e) => e.type === 'text' && e.text === 'late', 15_000);

    const seen = c.r.events.length;
    const page = await c.t.history(where, { limit: 10 });
    assert.deepEqual(page.messages.map(textOf), ['late']);
    assert.equal(page.unreadable, 3, 'the three early messages, left out and counted');
    assert.equal(page.next, undefined, 'the beginning of the room is reached');
    await sleep(300);
    assert.deepEqual(c.r.events.slice(seen), [], 'no "cannot decrypt" report for history');
  });

  it('leaves plaintext and malformed events out of history, and counts broken ciphertext', async () => {
    const alice = await bed.account('alice');
    const mallory = await bed.account('mallory');
    const a = await connect(alice);
    const workspace = bed.workspace();
    const where = { kind: 'workspace', workspace } as const;
    await a.t.joinWorkspace(workspace);
    const room = encodeURIComponent(await bed.roomIdOf(workspace));
    await call(bed.hs, 'POST', `/_matrix/client/v3/join/${room}`, {}, mallory.accessToken);
    const put = (type: string, content: unknown, txn: string) =>
      call(
        bed.hs,
        'PUT',
        `/_matrix/client/v3/rooms/${room}/send/${type}/${txn}`,
        content,
        mallory.accessToken,
      );
    await put('m.room.message', { msgtype: 'm.text', body: 'plaintext sneaking in' }, 't1');
    await put('org.mxagent.test.echo', { version: 'one', body: {} }, 't2');
    const garbage = { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'nope', session_id: 'x' };
    await put('m.room.encrypted', garbage, 't3');
    await a.r.waitForCount((e) => e.type === 'rejected', 3, 15_000);
    await a.t.send(where, { type: 'text', text: 'real' });
    const seen = a.r.events.length;
    const page = await a.t.history(where);
    assert.deepEqual(page.messages.map(textOf), ['real']);
    assert.equal(page.unreadable, 1, 'the broken ciphertext');
    await sleep(300);
    assert.deepEqual(a.r.events.slice(seen), [], 'rejections are not reported again');
  });

  it('an absent direct conversation reads empty; bad queries and cursors are usage errors', async () => {
    const alice = await bed.account('alice');
    const bob = await bed.account('bob');
    const a = await connect(alice);
    const none = await a.t.history({ kind: 'direct', address: bob.userId });
    assert.deepEqual(none, { messages: [], unreadable: 0 });
    await assert.rejects(a.t.history({ kind: 'workspace', workspace: bed.workspace() }), {
      name: 'UsageError',
      message: /^not in workspace .*: join it first$/,
    });
    await assert.rejects(a.t.history({ kind: 'direct', address: bob.userId }, { limit: 0 }), {
      name: 'UsageError',
      message: 'expected a history limit of 1 or more, got 0',
    });
    await a.t.send({ kind: 'direct', address: bob.userId }, { type: 'text', text: 'hi' });
    await assert.rejects(
      a.t.history({ kind: 'direct', address: bob.userId }, { before: 'not-a-token' }),
      { name: 'UsageError', message: /history cursor "not-a-token"/ },
    );
    const page = await a.t.history({ kind: 'direct', address: bob.userId });
    assert.deepEqual(page.messages.map(textOf), ['hi']);
    assert.deepEqual(page.messages[0]?.target, { kind: 'direct', address: bob.userId });
  });

  it('waits out an outage within its deadline, and gives up at it', async () => {
    const alice = await bed.account('alice');
    const a = await connect(alice);
    const workspace = bed.workspace();
    const where = { kind: 'workspace', workspace } as const;
    await a.t.joinWorkspace(workspace);
    await a.t.send(where, { type: 'text', text: 'kept' });
    await bed.down();
    await assert.rejects(a.t.history(where, {}, { timeoutMs: 300 }), {
      name: 'NetworkError',
      message: /^timed out after 300 ms waiting for the history of /,
    });
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(a.t.history(where, {}, { signal: aborted.signal }), {
      name: 'InterruptedError',
    });
    const reading = a.t.history(where, {}, { timeoutMs: 20_000 });
    await sleep(500);
    await bed.up();
    assert.deepEqual((await reading).messages.map(textOf), ['kept']);
  });
});
