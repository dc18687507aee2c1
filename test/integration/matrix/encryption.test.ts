/**
 * What the Matrix transport promises beyond the shared contract: a device that keeps its
 * identity and sessions across restarts without losing or repeating events, rate limits
 * waited out, hostile input from the server survived, and interop with an independent
 * encrypted client (matrix-nio with python-olm).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMatrixTransport } from '../../../src/transport/matrix/index.ts';
import type {
  InboundMessage,
  Transport,
  TransportEvent,
} from '../../../src/transport/transport.ts';
import { call } from '../../support/devserver.ts';
import { EventRecorder } from '../../support/event-recorder.ts';
import { MatrixTestbed, type MatrixAccount } from '../../support/matrix-peers.ts';
import { NIO_MISSING, nioAvailable, startNioPeer, type NioPeer } from '../../support/nio.ts';

type Text = InboundMessage & { type: 'text' };
const isText = (e: TransportEvent): e is Text => e.type === 'text';
const texts = (r: EventRecorder): string[] => r.events.filter(isText).map((e) => e.text);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The device keys the server holds for one device (what peers encrypt to). */
async function deviceKeys(bed: MatrixTestbed, who: MatrixAccount): Promise<unknown> {
  const r = await call(
    bed.hs,
    'POST',
    '/_matrix/client/v3/keys/query',
    { device_keys: { [who.userId]: [who.deviceId] } },
    who.accessToken,
  );
  return (r.body.device_keys as Record<string, Record<string, { keys: unknown }>>)[who.userId]?.[
    who.deviceId
  ]?.keys;
}

describe('matrix transport: restarts, rate limits, hostile input', () => {
  let bed: MatrixTestbed;
  const connect = (account: MatrixAccount): ReturnType<MatrixTestbed['connect']> =>
    bed.connect(account);

  before(async () => {
    bed = await MatrixTestbed.start();
  });
  after(async () => {
    await bed.dispose();
  });

  it('a restarted agent keeps its device keys, decrypts old and new, and repeats nothing', async () => {
    const alice = await bed.account('alice');
    const bob = await bed.account('bob');
    const a = await connect(alice);
    let b = await connect(bob);
    let keysBefore = await deviceKeys(bed, bob);
    for (let i = 0; i < 100 && !keysBefore; i++) {
      await sleep(50);
      keysBefore = await deviceKeys(bed, bob);
    }
    assert.ok(keysBefore, 'bob published device keys');
    const to = { kind: 'direct', address: bob.userId } as const;
    await a.t.send(to, { type: 'text', text: 'before restart' });
    await b.r.waitFor((e) => isText(e) && e.text === 'before restart');
    await b.t.close();
    // Sent while bob is down, with the same Megolm session as before.
    await a.t.send(to, { type: 'text', text: 'while away' });
    b = await connect(bob);
    const late = await b.r.waitFor((e) => isText(e) && e.text === 'while away', 20_000);
    assert.equal(late.type === 'text' && late.delayed, true);
    await a.t.send(to, { type: 'text', text: 'after restart' });
    await b.r.waitFor((e) => isText(e) && e.text === 'after restart');
    await sleep(500);
    assert.deepEqual(texts(b.r), ['while away', 'after restart'], 'nothing delivered twice');
    assert.deepEqual(await deviceKeys(bed, bob), keysBefore, 'same identity keys');
    // A second process on the same store is refused while the first holds it.
    const twin = createMatrixTransport(bed.options(bob));
    await assert.rejects(twin.connect(), /in use by process|already open in this process/);
    assert.equal(b.t.state, 'online');
  });

  it('a restart of a busy agent neither loses nor repeats events sent around it', async () => {
    const alice = await bed.account('alice');
    const bob = await bed.account('bob');
    const a = await connect(alice);
    let b = await connect(bob);
    const workspace = bed.workspace();
    await a.t.joinWorkspace(workspace);
    await b.t.joinWorkspace(workspace);
    const sending = (async () => {
      for (let i = 0; i < 20; i++) {
        await a.t.send({ kind: 'workspace', workspace }, { type: 'text', text: `m${String(i)}` });
        await sleep(30);
      }
    })();
    await b.r.waitFor((e) => isText(e) && e.text === 'm5');
    const before = texts(b.r);
    await b.t.close();
    b = await connect(bob);
    await sending;
    await b.r.waitFor((e) => isText(e) && e.text === 'm19', 20_000);
    await sleep(300);
    const all = [...before, ...texts(b.r)];
    assert.deepEqual(
      all,
      Array.from({ length: 20 }, (_, i) => `m${String(i)}`),
    );
  });

  it('reads back what a limited sync skipped while it was away: all of it, in order, once', async () => {
    const alice = await bed.account('alice');
    const bob = await bed.account('bob');
    const a = await connect(alice);
    let b = await connect(bob);
    const to = { kind: 'direct', address: bob.userId } as const;
    await a.t.send(to, { type: 'text', text: 'g0' });
    await b.r.waitFor((e) => isText(e) && e.text === 'g0');
    await b.t.close();
    // More than the 10 events an incremental sync carries by default: the rest is a gap.
    for (let i = 1; i <= 25; i++) await a.t.send(to, { type: 'text', text: `g${String(i)}` });
    b = await connect(bob);
    await b.r.waitFor((e) => isText(e) && e.text === 'g25', 20_000);
    await a.t.send(to, { type: 'text', text: 'g26' });
    await b.r.waitFor((e) => isText(e) && e.text === 'g26');
    await sleep(300);
    assert.deepEqual(
      texts(b.r),
      Array.from({ length: 26 }, (_, i) => `g${String(i + 1)}`),
    );
  });

  it('reports an event it cannot decrypt yet (who, where), and delivers it when the key arrives', async () => {
    const alice = await bed.account('alice');
    const bob = await bed.account('bob');
    const a = await connect(alice);
    const b = await connect(bob);
    const workspace = bed.workspace();
    await a.t.joinWorkspace(workspace);
    await b.t.joinWorkspace(workspace);
    // The room key bob's client sends to alice is held back by the server.
    bed.hs.faults.holdToDevice(alice.userId, true);
    await b.t.send({ kind: 'workspace', workspace }, { type: 'text', text: 'key comes later' });
    const reported = await a.r.waitFor((e) => e.type === 'rejected', 15_000);
    assert.equal(reported.type === 'rejected' && reported.from, bob.userId);
    assert.match(
      reported.type === 'rejected' ? reported.reason : '',
      new RegExp(`cannot decrypt .* from ${bob.userId.replace(/[.]/g, '\\.')} in ${workspace}`),
    );
    assert.equal(texts(a.r).length, 0);
    bed.hs.faults.holdToDevice(alice.userId, false);
    const late = await a.r.waitFor((e) => isText(e) && e.text === 'key comes later', 15_000);
    assert.equal(late.type === 'text' && late.from, bob.userId);
    await sleep(300);
    assert.deepEqual(texts(a.r), ['key comes later'], 'delivered once');
  });

  it('survives malformed and plaintext events in an encrypted room, and keeps delivering', async () => {
    const alice = await bed.account('alice');
    const mallory = await bed.account('mallory');
    const a = await connect(alice);
    const workspace = bed.workspace();
    await a.t.joinWorkspace(workspace);
    const roomId = await bed.roomIdOf(workspace);
    const room = encodeURIComponent(roomId);
    await call(bed.hs, 'POST', `/_matrix/client/v3/join/${room}`, {}, mallory.accessToken);
    const put = (type: string, content: unknown, txn: string) =>
      call(
        bed.hs,
        'PUT',
        `/_matrix/client/v3/rooms/${room}/send/${type}/${txn}`,
        content,
        mallory.accessToken,
      );
    // Plaintext into an encrypted room, a payload with a bad version, garbage ciphertext.
    await put('m.room.message', { msgtype: 'm.text', body: 'plaintext sneaking in' }, 't1');
    await put('org.mxagent.test.echo', { version: 'one', body: {} }, 't2');
    await put(
      'm.room.encrypted',
      {
        algorithm: 'm.megolm.v1.aes-sha2',
        ciphertext: 'not base64 at all!',
        session_id: 'nope',
        sender_key: 'x',
        device_id: 'X',
      },
      't3',
    );
    await put(
      'm.room.encrypted',
      { algorithm: 'm.olm.v1.curve25519-aes-sha2', ciphertext: 42 },
      't4',
    );
    const rejected = await a.r.waitForCount((e) => e.type === 'rejected', 3, 15_000);
    assert.ok(rejected.length >= 3);
    const reasons = a.r.events.flatMap((e) => (e.type === 'rejected' ? [e.reason] : []));
    assert.ok(
      reasons.some((r) => /plaintext/.test(r)),
      reasons.join('\n'),
    );
    assert.ok(
      reasons.some((r) => /cannot decrypt/.test(r)),
      reasons.join('\n'),
    );
    assert.equal(texts(a.r).length, 0, 'nothing malformed was delivered as input');
    // Still alive and delivering real, encrypted messages.
    const bob = await bed.account('bob');
    const b = await connect(bob);
    await b.t.joinWorkspace(workspace);
    await b.t.send({ kind: 'workspace', workspace }, { type: 'text', text: 'still fine' });
    await a.r.waitFor((e) => isText(e) && e.text === 'still fine');
    assert.equal(a.t.state, 'online');
  });
});

describe('matrix transport under the rate limit', () => {
  let bed: MatrixTestbed;
  const open: Transport[] = [];
  before(async () => {
    bed = await MatrixTestbed.start({ perSecond: 5, burst: 5 });
  });
  after(async () => {
    await Promise.allSettled(open.map((t) => t.close()));
    await bed.dispose();
  });

  it('backs off on 429 and delivers every message, in order', async () => {
    const a = createMatrixTransport(bed.options(await bed.account('alice')));
    const bob = await bed.account('bob');
    const b = createMatrixTransport(bed.options(bob));
    const r = new EventRecorder(b);
    open.push(a, b);
    await a.connect();
    await b.connect();
    const to = { kind: 'direct', address: bob.userId } as const;
    const sends = Array.from({ length: 25 }, (_, i) =>
      a.send(to, { type: 'text', text: `n${String(i)}` }, { timeoutMs: 60_000 }),
    );
    await Promise.all(sends);
    await r.waitForCount(isText, 25, 30_000);
    assert.deepEqual(
      texts(r),
      Array.from({ length: 25 }, (_, i) => `n${String(i)}`),
    );
  });
});

describe(
  'matrix transport with matrix-nio as the peer (interop)',
  { skip: nioAvailable() === undefined ? NIO_MISSING : false },
  () => {
    let bed: MatrixTestbed;
    let nio: NioPeer;
    let ours: Transport;
    before(async () => {
      bed = await MatrixTestbed.start();
      nio = startNioPeer();
    });
    after(async () => {
      await ours.close();
      await nio.close();
      await bed.dispose();
    });

    it('nio decrypts what we encrypt, and we decrypt what nio encrypts', async () => {
      const alice = await bed.account('alice');
      ours = createMatrixTransport(bed.options(alice));
      const r = new EventRecorder(ours);
      await ours.connect();
      const other = await nio.register(bed.url, `nio${String(process.pid)}`, 'nio-pw');
      const workspace = bed.workspace('interop');
      await ours.joinWorkspace(workspace);
      const roomId = await nio.join(workspace);
      for (
        let i = 0;
        i < 100 && !ours.members(workspace).some((m) => m.address === other.userId);
        i++
      )
        await sleep(50);
      await ours.send(
        { kind: 'workspace', workspace },
        { type: 'text', text: 'hello nio, from mx-agent' },
      );
      const atNio = await nio.waitMessage(roomId, { from: alice.userId, timeoutMs: 20_000 });
      assert.deepEqual(
        { body: atNio.body, decrypted: atNio.decrypted },
        { body: 'hello nio, from mx-agent', decrypted: true },
      );
      await nio.waitDevice(alice.userId, alice.deviceId);
      const sent = await nio.send(roomId, 'hello mx-agent, from nio');
      assert.equal(sent.encrypted, true);
      const got = await r.waitFor(
        (e) => isText(e) && e.text === 'hello mx-agent, from nio',
        20_000,
      );
      assert.equal(got.type === 'text' && got.from, other.userId);
      assert.equal(got.type === 'text' && got.id, sent.eventId);
    });
  },
);
