import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError, InternalError, NetworkError, UsageError } from '../../../src/errors.ts';
import { LineReader } from '../../../src/session/lines.ts';
import {
  fromWireError,
  fromWireEvent,
  parseHostMessage,
  parseReadiness,
  parseRequest,
  toWireError,
  toWireEvent,
} from '../../../src/session/protocol.ts';

test('requests are validated field by field, naming what was expected and what came', () => {
  assert.deepEqual(parseRequest('{"id":3,"method":"send","params":{"x":1}}'), {
    ok: true,
    value: { id: 3, method: 'send', params: { x: 1 } },
  });
  assert.deepEqual(parseRequest('{"id":4,"method":"status"}'), {
    ok: true,
    value: { id: 4, method: 'status', params: {} },
  });
  assert.deepEqual(parseRequest('not json'), {
    ok: false,
    reason: 'expected one JSON object per line, got "not json"',
  });
  assert.deepEqual(parseRequest('[1]'), {
    ok: false,
    reason: 'expected a request object, got a list [1]',
  });
  assert.deepEqual(parseRequest('{"id":-1,"method":"status"}'), {
    ok: false,
    reason: 'expected "id" to be a positive integer, got -1',
  });
  const unknown = parseRequest('{"id":5,"method":"format-disk"}');
  assert.equal(unknown.ok, false);
  assert.equal(!unknown.ok && unknown.id, 5, 'the id is kept so the answer can name it');
  assert.match(
    !unknown.ok ? unknown.reason : '',
    /^expected "method" to be one of hello, .*; got a string "format-disk"$/,
  );
  assert.deepEqual(parseRequest('{"id":6,"method":"send","params":"x"}'), {
    ok: false,
    id: 6,
    reason: 'expected "params" to be an object, got a string "x"',
  });
});

test('an error crosses the link as the same class with the same message and detail', () => {
  const auth = fromWireError(
    toWireError(new AuthError('refused', { detail: { condition: 'not-authorized' } })),
  );
  assert.ok(auth instanceof AuthError);
  assert.equal(auth.message, 'refused');
  assert.deepEqual(auth.detail, { condition: 'not-authorized' });
  assert.ok(fromWireError(toWireError(new UsageError('bad'))) instanceof UsageError);
  const plain = toWireError(new TypeError('x is undefined'));
  assert.deepEqual(plain, { kind: 'internal', message: 'x is undefined' });
  assert.ok(fromWireError(plain) instanceof InternalError);
});

test('connection events carry their error across as a message of the same class', () => {
  const wire = toWireEvent({
    type: 'connection',
    state: 'reconnecting',
    error: new NetworkError('lost'),
    retryInMs: 500,
  });
  const line = JSON.parse(JSON.stringify({ event: wire })) as unknown;
  const parsed = parseHostMessage(JSON.stringify(line));
  assert.ok(parsed.ok && 'event' in parsed.value);
  const event = fromWireEvent(parsed.value.event);
  assert.equal(event.type, 'connection');
  assert.ok(event.type === 'connection' && event.error instanceof NetworkError);
  assert.equal(event.type === 'connection' && event.error?.message, 'lost');
});

test('host lines that are not results, errors, events or byes are refused', () => {
  assert.equal(parseHostMessage('{"event":{"type":"text","id":"x"}}').ok, false);
  assert.equal(parseHostMessage('{"id":1,"error":{"kind":"nope","message":"m"}}').ok, false);
  assert.deepEqual(parseHostMessage('{"bye":"idle"}'), { ok: true, value: { bye: 'idle' } });
  assert.deepEqual(parseReadiness('{"ready":false,"running":{"pid":12}}'), {
    ok: true,
    value: { ready: false, running: { pid: 12 } },
  });
  assert.equal(parseReadiness('{"ready":true}').ok, false);
});

test('the line reader splits lines, and drops an oversized one without losing the next', () => {
  const lines: string[] = [];
  const oversized: number[] = [];
  const reader = new LineReader(
    10,
    (line) => lines.push(line),
    (bytes) => oversized.push(bytes),
  );
  reader.push(Buffer.from('ab'));
  reader.push(Buffer.from('c\nd\n\n'));
  reader.push(Buffer.from('0123456789'));
  reader.push(Buffer.from('abc\nok\n'));
  assert.deepEqual(lines, ['abc', 'd', 'ok']);
  assert.deepEqual(oversized, [13]);
  const multi: string[] = [];
  const utf8 = new LineReader(
    100,
    (l) => multi.push(l),
    () => undefined,
  );
  const bytes = Buffer.from('ü✓\n');
  for (const byte of bytes) utf8.push(Buffer.from([byte]));
  assert.deepEqual(multi, ['ü✓'], 'a character split across chunks is whole');
});

test('chat events and the chat fields of text cross the link intact; malformed ones are refused', () => {
  const target = { kind: 'direct', address: 'fake:bob' };
  const text = {
    type: 'text',
    id: 'm2',
    from: 'fake:bob',
    target,
    timestamp: 5,
    delayed: false,
    text: 'see attached',
    replaces: 'm1',
    mentions: ['fake:alice'],
    attachments: [
      { url: 'https://up.example/a/cat.png', name: 'cat.png' },
      {
        ref: { uri: 'mxc://x/y', size: 3, sha256: 'ab'.repeat(32) },
        contentType: 'image/png',
        size: 3,
      },
    ],
    confirm: { id: 'c1', action: 'send-message', expires: 9, risk: 'low' },
  };
  const reaction = {
    type: 'reaction',
    id: 'r1',
    from: 'fake:bob',
    target,
    reactsTo: 'm1',
    emojis: ['👍', '✅'],
    timestamp: 6,
  };
  const confirmation = {
    type: 'confirmation',
    from: 'fake:bob',
    target,
    confirm: 'c1',
    decision: 'approve',
  };
  for (const event of [text, reaction, confirmation]) {
    const parsed = parseHostMessage(JSON.stringify({ event }));
    assert.deepEqual(parsed, { ok: true, value: { event } });
  }
  const broken = [
    { ...text, mentions: 'fake:alice' },
    { ...text, attachments: [{ name: 'no ref nor url' }] },
    { ...text, attachments: [{ url: 'https://x', size: -1 }] },
    { ...text, replaces: 7 },
    { ...text, confirm: { id: 'c1', action: 'x', expires: 9, risk: 'extreme' } },
    { ...text, confirm: { id: 'c1', expires: 9 } },
    { ...reaction, emojis: '👍' },
    { ...reaction, reactsTo: undefined },
    { ...confirmation, decision: 'maybe' },
    { ...confirmation, target: { kind: 'direct' } },
  ];
  for (const event of broken)
    assert.equal(parseHostMessage(JSON.stringify({ event })).ok, false, JSON.stringify(event));
});

test('setTyping and react are transport methods of the link', () => {
  for (const method of ['setTyping', 'react'])
    assert.equal(parseRequest(JSON.stringify({ id: 1, method, params: {} })).ok, true, method);
});
