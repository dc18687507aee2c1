import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeStreamEvent } from '../../../src/stream/protocol-decode.ts';
import {
  STREAM_KINDS,
  encodeStreamEvent,
  type StreamEvent,
  type StreamKind,
} from '../../../src/stream/protocol.ts';
import type { JsonObject, JsonValue } from '../../../src/transport/transport.ts';
import { BLOB, HASH, ID, VALID, overTheWire } from './payload-samples.ts';
import { utf8 } from './stream-fixtures.ts';

/** One event of every kind, and the variants whose encoding differs. */
const EVENTS: readonly StreamEvent[] = [
  {
    type: 'start',
    stream: ID,
    command: ['bash', '-l'],
    title: 'build',
    cols: 80,
    rows: 24,
    term: 'xterm-256color',
    mode: 'pty',
    startedAt: 1_700_000_000_000,
    input: ['@bob:example.org'],
  },
  {
    type: 'start',
    stream: ID,
    command: [],
    title: '',
    cols: 1,
    rows: 10_000,
    term: 'dumb',
    mode: 'pipe',
    startedAt: 0,
    input: [],
  },
  { type: 'chunk', stream: ID, seq: 0, t: 0, size: 5, data: utf8('ls\r\n\x1b') },
  { type: 'chunk', stream: ID, seq: 1, t: 3, size: 0, data: new Uint8Array() },
  { type: 'chunk', stream: ID, seq: 41, t: 5230, size: 40_000, blob: BLOB },
  { type: 'resize', stream: ID, seq: 2, t: 10, cols: 132, rows: 43 },
  { type: 'end', stream: ID, seq: 3, t: 99, exitCode: 0, bytes: 5, sha256: HASH },
  {
    type: 'end',
    stream: ID,
    seq: 3,
    t: 99,
    exitCode: null,
    signal: 'SIGTERM',
    bytes: 0,
    sha256: HASH,
  },
  {
    type: 'snapshot',
    stream: ID,
    seq: 7,
    t: 1000,
    cols: 80,
    rows: 24,
    bytes: 1234,
    data: utf8('\x1bcscreen'),
  },
  { type: 'snapshot', stream: ID, seq: 7, t: 1000, cols: 80, rows: 24, bytes: 1234, blob: BLOB },
  { type: 'input', stream: ID, data: utf8('q\x03') },
  { type: 'control', stream: ID, input: ['alice@example.org', '@bob:example.org'] },
  { type: 'control', stream: ID, input: [] },
  { type: 'watch', stream: ID },
];

describe('stream payloads round-trip', () => {
  it('covers every kind of the family', () => {
    const kinds = new Set(EVENTS.map((e) => `stream.${e.type}`));
    assert.deepEqual([...kinds].sort(), [...STREAM_KINDS].sort());
  });

  for (const event of EVENTS) {
    const variant = 'blob' in event ? ' (blob)' : 'signal' in event ? ' (signal)' : '';
    it(`${event.type}${variant} decodes to what was encoded`, () => {
      const payload = encodeStreamEvent(event);
      assert.equal(payload.kind, `stream.${event.type}`);
      assert.equal(payload.version, 1);
      assert.deepEqual(decodeStreamEvent(overTheWire(payload)), { ok: true, event });
    });
  }

  it('leaves payloads of other families alone', () => {
    assert.equal(decodeStreamEvent({ kind: 'task.request', version: 1, body: {} }), undefined);
    assert.equal(decodeStreamEvent({ kind: 'streams.chunk', version: 1, body: {} }), undefined);
  });

  it('matches the example of specs/protocol.md §5.4', () => {
    const decoded = decodeStreamEvent({
      kind: 'stream.chunk',
      version: 1,
      body: { stream: ID, seq: 41, t: 5230, size: 6, data: 'bHMgLWxhCg==' },
    });
    assert.deepEqual(decoded, {
      ok: true,
      event: { type: 'chunk', stream: ID, seq: 41, t: 5230, size: 6, data: utf8('ls -la\n') },
    });
  });
});

const { sha256: _dropped, ...blobWithoutHash } = BLOB;

/** [what is wrong, kind, body changes (undefined removes a field), the reason expected]. */
const MALFORMED: readonly [string, StreamKind, Record<string, JsonValue | undefined>, RegExp][] = [
  [
    'seq as a string',
    'stream.chunk',
    { seq: '3' },
    /expected seq to be a non-negative integer, got "3"/,
  ],
  [
    'negative seq',
    'stream.chunk',
    { seq: -1 },
    /expected seq to be a non-negative integer, got -1/,
  ],
  [
    'float seq',
    'stream.resize',
    { seq: 1.5 },
    /expected seq to be a non-negative integer, got 1.5/,
  ],
  ['seq past 2^53', 'stream.end', { seq: 2 ** 53 }, /expected seq to be a non-negative integer/],
  ['missing seq', 'stream.chunk', { seq: undefined }, /expected seq to be .*, got nothing/],
  ['float t', 'stream.chunk', { t: 0.5 }, /expected t to be a non-negative integer, got 0.5/],
  ['negative size', 'stream.chunk', { size: -3 }, /expected size to be a non-negative integer/],
  [
    'base64 of a bad length',
    'stream.chunk',
    { data: 'YWJ' },
    /expected data to be base64, got "YWJ"/,
  ],
  [
    'base64 with foreign characters',
    'stream.chunk',
    { data: 'YW!j' },
    /expected data to be base64/,
  ],
  ['base64 padding inside', 'stream.snapshot', { data: 'YQ==YWJj' }, /expected data to be base64/],
  ['base64 as a number', 'stream.input', { data: 12 }, /expected data to be base64, got 12/],
  [
    'neither data nor blob',
    'stream.chunk',
    { data: undefined },
    /expected data to be base64 bytes or a blob reference, got nothing/,
  ],
  [
    'blob ref without sha256',
    'stream.chunk',
    { data: undefined, blob: blobWithoutHash },
    /expected data to be base64 bytes or a blob reference, got \{"uri"/,
  ],
  [
    'blob ref with an upper-case sha256',
    'stream.snapshot',
    { data: undefined, blob: { ...BLOB, sha256: 'B'.repeat(64) } },
    /expected data to be base64 bytes or a blob reference/,
  ],
  [
    'blob ref with a float size',
    'stream.chunk',
    { data: undefined, blob: { ...BLOB, size: 1.5 } },
    /expected data to be base64 bytes or a blob reference/,
  ],
  [
    'blob ref with extra as a list',
    'stream.chunk',
    { data: undefined, blob: { ...BLOB, extra: [] } },
    /expected data to be base64 bytes or a blob reference/,
  ],
  [
    'short sha256',
    'stream.end',
    { sha256: 'abc' },
    /expected sha256 to be 64 lower-case hex digits, got "abc"/,
  ],
  [
    'upper-case sha256',
    'stream.end',
    { sha256: 'A'.repeat(64) },
    /expected sha256 to be 64 lower-case hex digits/,
  ],
  ['sha256 as a number', 'stream.end', { sha256: 1 }, /expected sha256 to be a string, got 1/],
  [
    'exit code as a string',
    'stream.end',
    { exit_code: '0' },
    /expected exit_code to be a non-negative integer, got "0"/,
  ],
  [
    'negative exit code',
    'stream.end',
    { exit_code: -1 },
    /expected exit_code to be a non-negative integer, got -1/,
  ],
  ['signal as a number', 'stream.end', { signal: 9 }, /expected signal to be a signal name, got 9/],
  [
    'negative byte count',
    'stream.end',
    { bytes: -1 },
    /expected bytes to be a non-negative integer/,
  ],
  ['cols 0', 'stream.start', { cols: 0 }, /expected cols to be 1 to 10000, got 0/],
  ['cols 20000', 'stream.resize', { cols: 20_000 }, /expected cols to be 1 to 10000, got 20000/],
  ['rows 0', 'stream.snapshot', { rows: 0 }, /expected rows to be 1 to 10000, got 0/],
  [
    'rows as a string',
    'stream.resize',
    { rows: '24' },
    /expected rows to be a non-negative integer, got "24"/,
  ],
  ['unknown mode', 'stream.start', { mode: 'tty' }, /expected mode to be pty or pipe, got "tty"/],
  [
    'command as a string',
    'stream.start',
    { command: 'bash -l' },
    /expected command to be a list of strings, got "bash -l"/,
  ],
  [
    'input holding a number',
    'stream.start',
    { input: ['@bob:example.org', 7] },
    /expected input to be a list of strings/,
  ],
  [
    'started_at as a date text',
    'stream.start',
    { started_at: '2024-01-01' },
    /expected started_at to be a non-negative integer/,
  ],
  [
    'title missing',
    'stream.start',
    { title: undefined },
    /expected title to be a string, got nothing/,
  ],
  [
    'control input missing',
    'stream.control',
    { input: undefined },
    /expected input to be a list of strings, got nothing/,
  ],
  [
    'upper-case stream id',
    'stream.watch',
    { stream: 'ABCDEF' },
    /expected stream to be a stream id, got "ABCDEF"/,
  ],
  [
    'short stream id',
    'stream.chunk',
    { stream: 'abc' },
    /expected stream to be a stream id, got "abc"/,
  ],
  [
    'stream id with a slash',
    'stream.end',
    { stream: 'abcd/../x' },
    /expected stream to be a stream id/,
  ],
  [
    'stream id as a number',
    'stream.input',
    { stream: 123456 },
    /expected stream to be a string, got 123456/,
  ],
];

function changed(body: JsonObject, changes: Record<string, JsonValue | undefined>): JsonObject {
  const out: JsonObject = { ...body };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) Reflect.deleteProperty(out, name);
    else out[name] = value;
  }
  return out;
}

describe('malformed stream payloads', () => {
  it('accepts the valid bodies the table breaks', () => {
    for (const [kind, body] of Object.entries(VALID))
      assert.equal(decodeStreamEvent({ kind, version: 1, body })?.ok, true, kind);
  });

  for (const [what, kind, changes, reason] of MALFORMED) {
    it(`refuses ${kind} with ${what}, naming the field`, () => {
      const decoded = decodeStreamEvent({ kind, version: 1, body: changed(VALID[kind], changes) });
      assert.ok(decoded && !decoded.ok, `expected a refusal, got ${JSON.stringify(decoded)}`);
      assert.match(decoded.reason, new RegExp(`^malformed ${kind.replace('.', '\\.')}: `));
      assert.match(decoded.reason, reason);
    });
  }

  it('refuses an unknown kind of the family', () => {
    assert.deepEqual(
      decodeStreamEvent({ kind: 'stream.pause', version: 1, body: { stream: ID } }),
      {
        ok: false,
        reason: 'unknown stream payload stream.pause',
      },
    );
  });

  it('refuses version 2, saying which version it expects', () => {
    assert.deepEqual(
      decodeStreamEvent({ kind: 'stream.chunk', version: 2, body: VALID['stream.chunk'] }),
      {
        ok: false,
        reason: 'stream.chunk version 2 is not supported (expected 1)',
      },
    );
  });

  it('shows at most 40 characters of what arrived', () => {
    const decoded = decodeStreamEvent({
      kind: 'stream.start',
      version: 1,
      body: changed(VALID['stream.start'], { command: 'x'.repeat(10_000) }),
    });
    assert.deepEqual(decoded, {
      ok: false,
      reason: `malformed stream.start: expected command to be a list of strings, got "${'x'.repeat(39)}`,
    });
  });
});
