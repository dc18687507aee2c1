/**
 * Stream payloads from the network → typed events, or the reason they were refused. A peer's
 * payload is untrusted input: every field is checked for type and range, so nothing malformed
 * reaches a renderer or a pty.
 */
import { isBlobRef } from '../transport/blob-ref.ts';
import type { JsonObject, JsonValue, Payload } from '../transport/transport.ts';
import { STREAM_ID, type Bytes, type StreamEvent } from './protocol.ts';

/** What a payload turned out to be. */
export type Decoded =
  | { readonly ok: true; readonly event: StreamEvent }
  | { readonly ok: false; readonly reason: string };

/** Largest terminal we accept, in cells per side. */
const MAX_CELLS = 10_000;

class Malformed extends Error {}

/** Decode a payload of the stream family; undefined when it is not one of ours. */
export function decodeStreamEvent(payload: Payload): Decoded | undefined {
  if (!payload.kind.startsWith('stream.')) return undefined;
  if (payload.version !== 1)
    return {
      ok: false,
      reason: `${payload.kind} version ${String(payload.version)} is not supported (expected 1)`,
    };
  try {
    const event = decodeBody(payload.kind, payload.body);
    return event
      ? { ok: true, event }
      : { ok: false, reason: `unknown stream payload ${payload.kind}` };
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    return { ok: false, reason: `malformed ${payload.kind}: ${error.message}` };
  }
}

function decodeBody(kind: string, b: JsonObject): StreamEvent | undefined {
  const stream = streamId(b);
  switch (kind) {
    case 'stream.start':
      return {
        type: 'start',
        stream,
        command: strings(b, 'command'),
        title: str(b, 'title'),
        cols: cells(b, 'cols'),
        rows: cells(b, 'rows'),
        term: str(b, 'term'),
        mode:
          b.mode === 'pipe'
            ? 'pipe'
            : b.mode === 'pty'
              ? 'pty'
              : fail('mode', 'pty or pipe', b.mode),
        startedAt: int(b, 'started_at'),
        input: strings(b, 'input'),
      };
    case 'stream.chunk':
      return {
        type: 'chunk',
        stream,
        seq: int(b, 'seq'),
        t: int(b, 't'),
        size: int(b, 'size'),
        ...bytes(b),
      };
    case 'stream.resize':
      return {
        type: 'resize',
        stream,
        seq: int(b, 'seq'),
        t: int(b, 't'),
        cols: cells(b, 'cols'),
        rows: cells(b, 'rows'),
      };
    case 'stream.end': {
      const signal = b.signal;
      if (signal !== undefined && typeof signal !== 'string')
        fail('signal', 'a signal name', signal);
      const exitCode = b.exit_code === null ? null : int(b, 'exit_code');
      const sha256 = str(b, 'sha256');
      if (!/^[0-9a-f]{64}$/.test(sha256)) fail('sha256', '64 lower-case hex digits', sha256);
      return {
        type: 'end',
        stream,
        seq: int(b, 'seq'),
        t: int(b, 't'),
        exitCode,
        ...(signal === undefined ? {} : { signal }),
        bytes: int(b, 'bytes'),
        sha256,
      };
    }
    case 'stream.snapshot':
      return {
        type: 'snapshot',
        stream,
        seq: int(b, 'seq'),
        t: int(b, 't'),
        cols: cells(b, 'cols'),
        rows: cells(b, 'rows'),
        bytes: int(b, 'bytes'),
        ...bytes(b),
      };
    case 'stream.input':
      return { type: 'input', stream, data: base64(b, 'data') };
    case 'stream.control':
      return { type: 'control', stream, input: strings(b, 'input') };
    case 'stream.watch':
      return { type: 'watch', stream };
    default:
      return undefined;
  }
}

function streamId(b: JsonObject): string {
  const id = str(b, 'stream');
  if (!STREAM_ID.test(id)) fail('stream', 'a stream id', id);
  return id;
}

function bytes(b: JsonObject): Bytes {
  if (b.data !== undefined) return { data: base64(b, 'data') };
  const blob = b.blob;
  if (!isBlobRef(blob)) return fail('data', 'base64 bytes or a blob reference', blob);
  return { blob };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64(b: JsonObject, name: string): Uint8Array {
  const text = b[name];
  if (typeof text !== 'string' || text.length % 4 !== 0 || !BASE64.test(text))
    return fail(name, 'base64', text);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function str(b: JsonObject, name: string): string {
  const v = b[name];
  return typeof v === 'string' ? v : fail(name, 'a string', v);
}

function strings(b: JsonObject, name: string): string[] {
  const v = b[name];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
    return fail(name, 'a list of strings', v);
  return v;
}

function int(b: JsonObject, name: string): number {
  const v = b[name];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
    ? v
    : fail(name, 'a non-negative integer', v);
}

function cells(b: JsonObject, name: string): number {
  const v = int(b, name);
  return v >= 1 && v <= MAX_CELLS ? v : fail(name, `1 to ${String(MAX_CELLS)}`, v);
}

function fail(name: string, expected: string, got: JsonValue | undefined): never {
  const shown = got === undefined ? 'nothing' : JSON.stringify(got).slice(0, 40);
  throw new Malformed(`expected ${name} to be ${expected}, got ${shown}`);
}
