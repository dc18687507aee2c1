/** Sample stream payload bodies for the decoder tests: valid ones, to break a field at a time. */
import type { StreamKind } from '../../../src/stream/protocol.ts';
import type { JsonObject, Payload } from '../../../src/transport/transport.ts';

/** A stream id of the form sharers make. */
export const ID = '3f2a9c01b7de';
/** A well-formed sha256. */
export const HASH = 'a'.repeat(64);
/** A blob reference with every optional field. */
export const BLOB = {
  uri: 'mxc://example.org/abc',
  size: 40_000,
  sha256: 'b'.repeat(64),
  contentType: 'application/octet-stream',
  name: `${ID}-7.bin`,
  extra: { key: { k: 'secret' }, iv: 'AAAA' },
};

/** One valid body of each kind. */
export const VALID: Record<StreamKind, JsonObject> = {
  'stream.start': {
    stream: ID,
    command: ['bash', '-l'],
    title: 'build',
    cols: 80,
    rows: 24,
    term: 'xterm-256color',
    mode: 'pty',
    started_at: 1_700_000_000_000,
    input: ['@bob:example.org'],
  },
  'stream.chunk': { stream: ID, seq: 0, t: 0, size: 3, data: 'YWJj' },
  'stream.resize': { stream: ID, seq: 2, t: 10, cols: 80, rows: 24 },
  'stream.end': { stream: ID, seq: 3, t: 99, exit_code: 0, bytes: 3, sha256: HASH },
  'stream.snapshot': { stream: ID, seq: 7, t: 1, cols: 80, rows: 24, bytes: 3, data: 'YWJj' },
  'stream.input': { stream: ID, data: 'cQ==' },
  'stream.control': { stream: ID, input: ['@bob:example.org'] },
  'stream.watch': { stream: ID },
};

/** A payload as it would arrive: serialized and parsed again. */
export function overTheWire(payload: Payload): Payload {
  return JSON.parse(JSON.stringify(payload)) as Payload;
}
