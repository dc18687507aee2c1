import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decryptAttachment,
  encryptAttachment,
} from '../../../../src/transport/matrix/attachments.ts';
import { decodeEvent, encodeOutbound } from '../../../../src/transport/matrix/codec.ts';
import { guardedFetch, PLAINTEXT_REFUSED } from '../../../../src/transport/matrix/sdk.ts';
import { parseRoomReference, parseUserId } from '../../../../src/transport/matrix/address.ts';

test('the wire guard refuses a plaintext event into an encrypted room, and nothing else', async () => {
  const seen: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request) => {
    seen.push(input instanceof Request ? input.url : input.toString());
    return Promise.resolve(Response.json({ event_id: '$ok' }));
  };
  try {
    const guarded = guardedFetch((roomId) => roomId === '!secret:example.org');
    const base = 'https://hs.example.org/_matrix/client/v3/rooms';
    const plain = await guarded(`${base}/!secret%3Aexample.org/send/m.room.message/t1`, {
      method: 'PUT',
    });
    assert.equal(plain.status, 400);
    assert.equal(((await plain.json()) as { errcode: string }).errcode, PLAINTEXT_REFUSED);
    const custom = await guarded(`${base}/!secret%3Aexample.org/send/org.mxagent.test.echo/t2`, {
      method: 'PUT',
    });
    assert.equal(custom.status, 400);
    const encrypted = await guarded(`${base}/!secret%3Aexample.org/send/m.room.encrypted/t3`, {
      method: 'PUT',
    });
    assert.equal(encrypted.status, 200);
    const elsewhere = await guarded(`${base}/!open%3Aexample.org/send/m.room.message/t4`, {
      method: 'PUT',
    });
    assert.equal(elsewhere.status, 200);
    assert.equal(seen.length, 2, 'refused requests never reach the network');
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('encrypted attachments round-trip, and a tampered ciphertext fails its integrity check', () => {
  const plain = new TextEncoder().encode('secret bytes \u0000\u00ff');
  const { ciphertext, file } = encryptAttachment(plain);
  assert.notDeepEqual(new Uint8Array(ciphertext), plain);
  const full = { ...file, url: 'mxc://example.org/abc' };
  assert.deepEqual(new Uint8Array(decryptAttachment(ciphertext, full)), plain);
  const tampered = new Uint8Array(ciphertext);
  tampered[0] = (tampered[0] ?? 0) ^ 1;
  assert.throws(() => decryptAttachment(tampered, full), /integrity/);
});

test('payloads and text map to events and back; malformed events are rejected with a reason', () => {
  const payload = { kind: 'stream.chunk', version: 2, body: { seq: 1, data: 'AA==' } };
  const out = encodeOutbound({ type: 'payload', payload });
  assert.equal(out.type, 'org.mxagent.stream.chunk');
  assert.deepEqual(decodeEvent(out.type, out.content), { type: 'payload', payload });
  assert.deepEqual(decodeEvent('m.room.message', { msgtype: 'm.text', body: 'hi' }), {
    type: 'text',
    text: 'hi',
  });
  assert.equal(
    decodeEvent('m.room.message', { msgtype: 'm.image', body: 'x.png' })?.type,
    'rejected',
  );
  assert.equal(decodeEvent('m.room.message', { msgtype: 'm.location', body: 'here' }), undefined);
  assert.equal(decodeEvent('m.reaction', {}), undefined);
  const bad = decodeEvent('org.mxagent.stream.chunk', { version: 0, body: {} });
  assert.equal(bad?.type, 'rejected');
  const noBody = decodeEvent('m.room.message', { msgtype: 'm.text', body: 7 });
  assert.equal(noBody?.type, 'rejected');
});

test('Matrix identifiers: clear errors naming the expected form', () => {
  assert.equal(parseUserId('@alice:example.org'), '@alice:example.org');
  assert.equal(parseUserId('@bot:localhost:8008'), '@bot:localhost:8008');
  assert.throws(
    () => parseUserId('alice'),
    /expected a Matrix user id like @alice:example.org, got "alice"/,
  );
  assert.throws(() => parseUserId('@alice'), /expected a Matrix user id/);
  assert.equal(parseRoomReference('#team:example.org'), '#team:example.org');
  assert.equal(parseRoomReference('!abc:example.org'), '!abc:example.org');
  assert.throws(
    () => parseRoomReference('team'),
    /expected a Matrix room alias like #team:example.org/,
  );
});
