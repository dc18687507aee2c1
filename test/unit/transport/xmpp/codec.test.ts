import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xml } from '@xmpp/xml';
import { decodeMessage, encodeMessage, xmlSafe } from '../../../../src/transport/xmpp/codec.ts';

const inRoom = { nickIn: (room: string) => (room === 'room@conf.example.org' ? 'me' : undefined) };

test('a payload survives encode → XML text → decode intact', () => {
  const payload = {
    kind: 'stream.chunk',
    version: 2,
    body: { seq: 7, data: 'a<b>&"\'\n\u0001', nested: { x: [null, true, 1.5] } },
  };
  const stanza = encodeMessage(
    'bob@example.org/r',
    { kind: 'direct', address: 'bob@example.org/r' },
    { type: 'payload', payload },
    'id-1',
  );
  const parsed = xml(
    'message',
    { ...stanza.attrs, from: 'alice@example.org/x' },
    ...stanza.getChildElements(),
  );
  const decoded = decodeMessage(parsed, inRoom);
  assert.equal(decoded.outcome, 'message');
  if (decoded.outcome !== 'message' || decoded.message.type !== 'payload') return;
  assert.deepEqual(decoded.message.payload, payload);
  assert.equal(decoded.message.id, 'id-1');
  assert.ok(
    stanza.getChild('store', 'urn:xmpp:hints'),
    'payloads ask to be stored for offline peers',
  );
});

test('error stanzas, own echoes, subjects and chat states are ignored, not chat', () => {
  const cases = [
    xml('message', { from: 'bob@example.org', type: 'error' }, xml('body', {}, 'x')),
    xml(
      'message',
      { from: 'room@conf.example.org/me', type: 'groupchat' },
      xml('body', {}, 'echo'),
    ),
    xml(
      'message',
      { from: 'room@conf.example.org', type: 'groupchat' },
      xml('subject', {}, 'topic'),
    ),
    xml(
      'message',
      { from: 'other@conf.example.org/x', type: 'groupchat' },
      xml('body', {}, 'not joined'),
    ),
    xml(
      'message',
      { from: 'bob@example.org', type: 'chat' },
      xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }),
    ),
  ];
  for (const stanza of cases)
    assert.equal(decodeMessage(stanza, inRoom).outcome, 'ignored', stanza.toString());
});

test('malformed payloads are rejected with a reason naming what was expected', () => {
  const bad = (attrs: Record<string, string>, text: string) =>
    decodeMessage(
      xml(
        'message',
        { from: 'bob@example.org/r', type: 'chat' },
        xml('payload', { xmlns: 'urn:mx-agent:0', ...attrs }, text),
      ),
      inRoom,
    );
  assert.match(JSON.stringify(bad({ kind: 'x.y', version: '1' }, '[1]')), /JSON object/);
  assert.match(JSON.stringify(bad({ kind: 'x.y', version: '0' }, '{}')), /positive integer/);
  assert.match(JSON.stringify(bad({ version: '1' }, '{}')), /payload kind/);
});

test('room messages carry the workspace target and delayed flag from XEP-0203', () => {
  const stanza = xml(
    'message',
    { from: 'room@conf.example.org/bob', type: 'groupchat', id: 'x' },
    xml('body', {}, 'hi'),
    xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2026-01-02T03:04:05Z' }),
    xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'room@conf.example.org', id: 'sid-9' }),
  );
  const decoded = decodeMessage(stanza, inRoom);
  assert.equal(decoded.outcome, 'message');
  if (decoded.outcome !== 'message') return;
  assert.deepEqual(decoded.message.target, {
    kind: 'workspace',
    workspace: 'room@conf.example.org',
  });
  assert.equal(decoded.message.delayed, true);
  assert.equal(decoded.message.timestamp, Date.parse('2026-01-02T03:04:05Z'));
  assert.equal(decoded.message.id, 'sid-9');
});

test('xmlSafe replaces characters XML cannot carry, keeps everything else', () => {
  assert.equal(
    xmlSafe('ok\ttab\nnl \u0000\u0007 \uD800x 😀'),
    'ok\ttab\nnl \uFFFD\uFFFD \uFFFDx 😀',
  );
});
