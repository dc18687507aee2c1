import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xml, type Element } from '@xmpp/xml';
import type { DecodedMessage } from '../../../../src/transport/xmpp/codec.ts';
import { directEntry, workspaceEntry } from '../../../../src/transport/xmpp/history.ts';
import type { ArchivedEntry } from '../../../../src/transport/xmpp/mam.ts';

const ROOM = 'room@conf.example.org';
const STAMP = Date.parse('2025-01-02T03:04:05Z');
const SELF = 'me@example.org/agent';

function entry(message: Element, archiveId = 'A1'): ArchivedEntry {
  return { queryid: 'q', archiveId, stamp: STAMP, message };
}

function origin(id: string): Element {
  return xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id });
}

function messageOf(decoded: DecodedMessage): Record<string, unknown> {
  assert.equal(decoded.outcome, 'message', JSON.stringify(decoded));
  return decoded.outcome === 'message' ? { ...decoded.message } : {};
}

test('a room archive keeps our own messages, with the origin-id, delayed at the archive stamp', () => {
  const own = xml(
    'message',
    { from: `${ROOM}/me`, type: 'groupchat', id: 'x' },
    xml('body', {}, 'mine'),
    origin('o-1'),
  );
  assert.deepEqual(messageOf(workspaceEntry(entry(own), ROOM, 'me')), {
    id: 'o-1',
    from: `${ROOM}/me`,
    target: { kind: 'workspace', workspace: ROOM },
    timestamp: STAMP,
    delayed: true,
    type: 'text',
    text: 'mine',
  });
});

test('without an origin-id, the id is the archive id, as live delivery saw it in stanza-id', () => {
  const plain = xml(
    'message',
    { from: `${ROOM}/bob`, type: 'groupchat', id: 'client-id' },
    xml('body', {}, 'hi'),
  );
  assert.equal(messageOf(workspaceEntry(entry(plain, 'A7'), ROOM, 'me')).id, 'A7');
});

test('room entries live delivery would not take are left out the same way', () => {
  const cases: [Element, DecodedMessage['outcome']][] = [
    [xml('message', { from: `${ROOM}/bob`, type: 'error' }, xml('body', {}, 'x')), 'ignored'],
    [xml('message', { from: ROOM, type: 'groupchat' }, xml('subject', {}, 'topic')), 'ignored'],
    [
      xml(
        'message',
        { from: 'other@conf.example.org/bob', type: 'groupchat' },
        xml('body', {}, 'x'),
      ),
      'ignored',
    ],
    [
      xml(
        'message',
        { from: `${ROOM}/bob`, type: 'groupchat' },
        xml('payload', { xmlns: 'urn:mx-agent:0', kind: 'Bad Kind', version: '1' }, '{}'),
      ),
      'rejected',
    ],
  ];
  for (const [stanza, outcome] of cases)
    assert.equal(workspaceEntry(entry(stanza), ROOM, 'me').outcome, outcome, stanza.toString());
});

test('a direct entry from the peer reads as live delivery: from and target are its full JID', () => {
  const fromPeer = xml(
    'message',
    { from: 'Bob@Example.org/laptop', to: SELF, type: 'chat' },
    xml('payload', { xmlns: 'urn:mx-agent:0', kind: 'test.x', version: '2' }, '{"a":1}'),
    origin('o-2'),
  );
  const message = messageOf(directEntry(entry(fromPeer), { with: 'bob@example.org', self: SELF }));
  assert.equal(message.from, 'Bob@Example.org/laptop');
  assert.deepEqual(message.target, { kind: 'direct', address: 'Bob@Example.org/laptop' });
  assert.deepEqual(message.payload, { kind: 'test.x', version: 2, body: { a: 1 } });
  assert.equal(message.delayed, true);
});

test('our own direct messages, from any of our resources, are from our address to the peer', () => {
  const conversation = { with: 'bob@example.org', self: SELF };
  for (const from of ['me@example.org/other-run', undefined]) {
    const own = xml(
      'message',
      { from, to: 'bob@example.org/laptop', type: 'chat' },
      xml('body', {}, 'mine'),
      origin('o-3'),
    );
    const message = messageOf(directEntry(entry(own), conversation));
    assert.equal(message.from, SELF);
    assert.deepEqual(message.target, { kind: 'direct', address: 'bob@example.org/laptop' });
    assert.equal(message.id, 'o-3');
  }
});

test('direct entries of other conversations, and groupchat, are left out', () => {
  const conversation = { with: 'bob@example.org', self: SELF };
  const cases = [
    xml('message', { from: 'eve@example.org/x', to: SELF, type: 'chat' }, xml('body', {}, 'x')),
    xml('message', { from: SELF, to: 'eve@example.org', type: 'chat' }, xml('body', {}, 'x')),
    xml('message', { from: SELF, type: 'chat' }, xml('body', {}, 'no to')),
    xml('message', { from: 'bob@example.org/r', type: 'groupchat' }, xml('body', {}, 'x')),
    xml('message', { from: 'bob@example.org/r', type: 'error' }, xml('body', {}, 'x')),
  ];
  for (const stanza of cases)
    assert.equal(directEntry(entry(stanza), conversation).outcome, 'ignored', stanza.toString());
});

test('a private chat with a room occupant matches only that occupant', () => {
  const conversation = { with: `${ROOM}/bob`, self: SELF };
  const fromBob = xml('message', { from: `${ROOM}/bob`, type: 'chat' }, xml('body', {}, 'pm'));
  const fromEve = xml('message', { from: `${ROOM}/eve`, type: 'chat' }, xml('body', {}, 'pm'));
  assert.equal(directEntry(entry(fromBob), conversation).outcome, 'message');
  assert.equal(directEntry(entry(fromEve), conversation).outcome, 'ignored');
});

test('an archived message carrying an archive result is left out, as live delivery leaves it out', () => {
  const forged = xml(
    'message',
    { from: 'bob@example.org/r', type: 'chat' },
    xml('body', {}, 'outer'),
    xml('result', { xmlns: 'urn:xmpp:mam:2', queryid: 'q', id: 'X' }),
  );
  const decoded = directEntry(entry(forged), { with: 'bob@example.org', self: SELF });
  assert.deepEqual(decoded, { outcome: 'ignored', why: 'it carries an archive result' });
});
