import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MatrixEvent } from 'matrix-js-sdk';
import { encryptAttachment } from '../../../../src/transport/matrix/attachments.ts';
import { assertMatrixText, encodeText } from '../../../../src/transport/matrix/chat-content.ts';
import { decodeEvent, encodeOutbound } from '../../../../src/transport/matrix/codec.ts';
import { expectedOf } from '../../../../src/transport/matrix/event-media.ts';
import { decodeTimelineEvent, inboundMessages } from '../../../../src/transport/matrix/inbound.ts';
import { encodeReaction } from '../../../../src/transport/matrix/reactions.ts';

const ALICE = '@alice:x.org';
const BOB = '@bob:x.org';

test('text goes out with mentions and a confirmation request, and comes back with its mentions', () => {
  const out = encodeOutbound({
    type: 'text',
    text: 'send it?',
    mentions: [ALICE],
    confirm: { id: 'c1', action: 'send-message', expires: 1_700_000_000_000, risk: 'high' },
  });
  assert.deepEqual(out, {
    type: 'm.room.message',
    content: {
      msgtype: 'm.text',
      body: 'send it?',
      'm.mentions': { user_ids: [ALICE] },
      'org.mxagent.confirm': {
        id: 'c1',
        action: 'send-message',
        expires: 1_700_000_000_000,
        risk: 'high',
      },
    },
  });
  assert.deepEqual(decodeEvent(out.type, out.content), {
    type: 'text',
    text: 'send it?',
    mentions: [ALICE],
  });
  // Plain text stays exactly what every client expects.
  assert.deepEqual(encodeText({ type: 'text', text: 'hi' }), { msgtype: 'm.text', body: 'hi' });
});

test('an edit goes out as m.replace with a "* " fallback and arrives as the new text replacing the original', () => {
  const content = encodeText({ type: 'text', text: 'fixed', replaces: '$orig', mentions: [BOB] });
  assert.deepEqual(content, {
    msgtype: 'm.text',
    body: '* fixed',
    'm.new_content': { msgtype: 'm.text', body: 'fixed', 'm.mentions': { user_ids: [BOB] } },
    'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' },
    'm.mentions': { user_ids: [BOB] },
  });
  assert.deepEqual(decodeEvent('m.room.message', content), {
    type: 'text',
    text: 'fixed',
    mentions: [BOB],
    replaces: '$orig',
  });
  assert.deepEqual(decodeEvent('m.room.message', { ...content, 'm.new_content': undefined }), {
    type: 'rejected',
    reason: 'an edit of $orig without m.new_content',
  });
  const noTarget = { ...content, 'm.relates_to': { rel_type: 'm.replace' } };
  assert.equal(decodeEvent('m.room.message', noTarget)?.type, 'rejected');
});

test('outbound text that Matrix cannot carry is refused before anything is sent', () => {
  assert.throws(() => {
    assertMatrixText({ type: 'text', text: 'x', replaces: '$batch#2' });
  }, /^UsageError: expected the id of a text message we sent \(a Matrix event id like \$abc\) to edit, got "\$batch#2"$/);
  assert.throws(() => {
    assertMatrixText({ type: 'text', text: 'x', mentions: ['alice@x.org'] });
  }, /^UsageError: expected mentions to be Matrix user ids like @alice:example.org, got "alice@x.org"$/);
  assert.throws(() => {
    assertMatrixText({ type: 'text', text: 'x', confirm: { id: '', action: 'a', expires: 1 } });
  }, /^UsageError: expected a confirmation request/);
  assertMatrixText({ type: 'text', text: 'x', replaces: '$e', mentions: [ALICE] });
});

test('mentions are read from m.mentions and from pills, plain or percent-encoded, once each', () => {
  const decoded = decodeEvent('m.room.message', {
    msgtype: 'm.text',
    body: 'Alice: Bob: look',
    format: 'org.matrix.custom.html',
    formatted_body:
      '<a href="https://matrix.to/#/@alice:x.org">Alice</a>: <a href=\'https://matrix.to/#/%40bob%3Ax.org?via=x.org\'>Bob</a>: look <a href="https://matrix.to/#/#room:x.org">room</a>',
    'm.mentions': { user_ids: [ALICE, 'not-a-user', 7] },
  });
  assert.deepEqual(decoded, { type: 'text', text: 'Alice: Bob: look', mentions: [ALICE, BOB] });
  // Pills only count in HTML the event declares as such.
  const plain = decodeEvent('m.room.message', {
    msgtype: 'm.text',
    body: 'x',
    formatted_body: '<a href="https://matrix.to/#/@alice:x.org">A</a>',
  });
  assert.deepEqual(plain, { type: 'text', text: 'x' });
});

test('media events become attachments whose ref getBlob can fetch; a differing filename makes body a caption', () => {
  const image = decodeEvent('m.room.message', {
    msgtype: 'm.image',
    body: 'look at this',
    filename: 'cat.png',
    url: 'mxc://x.org/abc',
    info: { mimetype: 'image/png', size: 1234 },
  });
  assert.deepEqual(image, {
    type: 'text',
    text: 'look at this',
    attachments: [
      {
        ref: {
          uri: 'mxc://x.org/abc',
          size: 1234,
          sha256: '',
          contentType: 'image/png',
          name: 'cat.png',
          extra: { unhashed: true },
        },
        name: 'cat.png',
        contentType: 'image/png',
        size: 1234,
      },
    ],
  });
  const { file } = encryptAttachment(new Uint8Array([1, 2, 3]));
  const encrypted = decodeEvent('m.room.message', {
    msgtype: 'm.file',
    body: 'notes.txt',
    file: { ...file, url: 'mxc://x.org/def' },
  });
  assert.equal(encrypted?.type, 'text');
  if (encrypted?.type !== 'text') return;
  assert.equal(encrypted.text, '', 'no caption: body is the file name');
  const attachment = encrypted.attachments?.[0];
  assert.deepEqual(
    { name: attachment?.name, size: attachment?.size, uri: attachment?.ref?.uri },
    { name: 'notes.txt', size: undefined, uri: 'mxc://x.org/def' },
  );
  assert.deepEqual(attachment?.ref?.extra, {
    unhashed: true,
    sizeUnknown: true,
    file: { ...file, url: 'mxc://x.org/def' },
  });
  const broken = { msgtype: 'm.file', body: 'f', file: { ...file, url: 'https://evil/' } };
  assert.deepEqual(decodeEvent('m.room.message', broken), {
    type: 'rejected',
    reason: 'an m.file event with an encrypted file whose url is not an mxc:// URI',
  });
  const keyless = { msgtype: 'm.video', body: 'v', file: { url: 'mxc://x.org/g' } };
  assert.equal(decodeEvent('m.room.message', keyless)?.type, 'rejected');
});

test('getBlob checks our own blobs by size and sha256 always, unhashed media refs by what the event said', () => {
  const own = { uri: 'mxc://x/a', size: 3, sha256: 'ab'.repeat(32) };
  assert.deepEqual(expectedOf(own), { size: 3, sha256: 'ab'.repeat(32) });
  // The marker never waives a sha256 that is there, nor works without the marker.
  assert.deepEqual(expectedOf({ ...own, extra: { unhashed: true } }), {
    size: 3,
    sha256: 'ab'.repeat(32),
  });
  assert.deepEqual(expectedOf({ ...own, sha256: '' }), { size: 3, sha256: '' });
  assert.deepEqual(expectedOf({ ...own, sha256: '', extra: { unhashed: true } }), { size: 3 });
  assert.deepEqual(
    expectedOf({ ...own, sha256: '', size: 0, extra: { unhashed: true, sizeUnknown: true } }),
    {},
  );
});

test('reactions: out as an m.annotation, in as a reaction event, never as text or history', () => {
  const content = encodeReaction('$e1#2', '👍');
  assert.deepEqual(content, {
    'm.relates_to': { rel_type: 'm.annotation', event_id: '$e1', key: '👍' },
  });
  assert.throws(() => encodeReaction('hello', '👍'), /^UsageError: expected the id of a message/);
  assert.throws(() => encodeReaction('$e1', ' '), /^UsageError: expected one emoji/);
  const event = new MatrixEvent({
    type: 'm.reaction',
    content,
    event_id: '$r1',
    sender: ALICE,
    room_id: '!r:x.org',
  });
  // In plaintext even in an encrypted room, as every client sends them.
  assert.deepEqual(decodeTimelineEvent(event, true, '#team:x.org'), {
    type: 'reaction',
    reactsTo: '$e1',
    key: '👍',
  });
  assert.equal(
    decodeEvent('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$e' } })
      ?.type,
    'rejected',
  );
  assert.equal(decodeEvent('m.reaction', { 'm.relates_to': { rel_type: 'm.thread' } }), undefined);
});

test('an inbound text carries its mentions, attachments and replaces to the message', () => {
  const common = {
    id: '$e',
    from: ALICE,
    target: { kind: 'direct', address: ALICE } as const,
    timestamp: 1,
    delayed: false,
  };
  const decoded = { type: 'text', text: 'x', mentions: [BOB], replaces: '$o' } as const;
  assert.deepEqual(inboundMessages(decoded, common), [
    { ...common, type: 'text', text: 'x', mentions: [BOB], replaces: '$o' },
  ]);
});
