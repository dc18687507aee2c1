/**
 * The terminal-stream payloads (specs/protocol.md §5): what a sharer publishes and a viewer
 * reads. Output, resizes and the end share one sequence (`seq`, from 0) so a viewer can order
 * them, drop duplicates and see gaps; snapshots and control messages point into that sequence.
 * Everything from the network is checked here and turned into a typed event or a reason.
 */
import type { BlobRef, JsonObject, Payload } from '../transport/transport.ts';

/** The payload kinds of this family, all at version 1. */
export const STREAM_KINDS = [
  'stream.start',
  'stream.chunk',
  'stream.resize',
  'stream.end',
  'stream.snapshot',
  'stream.input',
  'stream.control',
  'stream.watch',
] as const;

/** One of the stream payload kinds. */
export type StreamKind = (typeof STREAM_KINDS)[number];

/** Stream ids: lower-case letters, digits and dashes. */
export const STREAM_ID = /^[a-z0-9][a-z0-9-]{3,63}$/;

/** Bytes, either inline (base64 in the payload) or in a blob when they do not fit. */
export type Bytes = { readonly data: Uint8Array } | { readonly blob: BlobRef };

/** A stream began. */
export interface StreamStart {
  readonly type: 'start';
  readonly stream: string;
  readonly command: readonly string[];
  readonly title: string;
  readonly cols: number;
  readonly rows: number;
  readonly term: string;
  /** `pty`: a terminal program; `pipe`: a command's stdout and stderr without a terminal. */
  readonly mode: 'pty' | 'pipe';
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  /** Addresses allowed to type. */
  readonly input: readonly string[];
}

/** Output bytes, exactly as the program wrote them. */
export type StreamChunk = {
  readonly type: 'chunk';
  readonly stream: string;
  readonly seq: number;
  /** Milliseconds since the start. */
  readonly t: number;
  readonly size: number;
} & Bytes;

/** The terminal changed size. */
export interface StreamResize {
  readonly type: 'resize';
  readonly stream: string;
  readonly seq: number;
  readonly t: number;
  readonly cols: number;
  readonly rows: number;
}

/** The program ended: the last event of the sequence. */
export interface StreamEnd {
  readonly type: 'end';
  readonly stream: string;
  readonly seq: number;
  readonly t: number;
  /** The exit code, or null when a signal ended the program. */
  readonly exitCode: number | null;
  readonly signal?: string;
  /** Output bytes in all, and their sha256 (lower-case hex). */
  readonly bytes: number;
  readonly sha256: string;
}

/** The screen as it stood after every event with a sequence number below `seq`. */
export type StreamSnapshot = {
  readonly type: 'snapshot';
  readonly stream: string;
  readonly seq: number;
  readonly t: number;
  readonly cols: number;
  readonly rows: number;
  /** Output bytes so far. */
  readonly bytes: number;
} & Bytes;

/** Keystrokes a viewer sends to the program. */
export interface StreamInput {
  readonly type: 'input';
  readonly stream: string;
  readonly data: Uint8Array;
}

/** Who may type now (sent when the sharer grants or revokes). */
export interface StreamControl {
  readonly type: 'control';
  readonly stream: string;
  readonly input: readonly string[];
}

/** A viewer is watching and would like a fresh snapshot. */
export interface StreamWatch {
  readonly type: 'watch';
  readonly stream: string;
}

/** Any stream event. */
export type StreamEvent =
  | StreamStart
  | StreamChunk
  | StreamResize
  | StreamEnd
  | StreamSnapshot
  | StreamInput
  | StreamControl
  | StreamWatch;

/** The events that carry a place in the sequence. */
export type SequencedEvent = StreamChunk | StreamResize | StreamEnd;

/** True for events a viewer orders by `seq`. */
export function isSequenced(event: StreamEvent): event is SequencedEvent {
  return event.type === 'chunk' || event.type === 'resize' || event.type === 'end';
}

/** Our payload for an event. */
export function encodeStreamEvent(event: StreamEvent): Payload {
  return { kind: `stream.${event.type}`, version: 1, body: bodyOf(event) };
}

function bodyOf(event: StreamEvent): JsonObject {
  switch (event.type) {
    case 'start':
      return {
        stream: event.stream,
        command: [...event.command],
        title: event.title,
        cols: event.cols,
        rows: event.rows,
        term: event.term,
        mode: event.mode,
        started_at: event.startedAt,
        input: [...event.input],
      };
    case 'chunk':
      return {
        stream: event.stream,
        seq: event.seq,
        t: event.t,
        size: event.size,
        ...bytesOf(event),
      };
    case 'resize':
      return {
        stream: event.stream,
        seq: event.seq,
        t: event.t,
        cols: event.cols,
        rows: event.rows,
      };
    case 'end':
      return {
        stream: event.stream,
        seq: event.seq,
        t: event.t,
        exit_code: event.exitCode,
        ...(event.signal === undefined ? {} : { signal: event.signal }),
        bytes: event.bytes,
        sha256: event.sha256,
      };
    case 'snapshot':
      return {
        stream: event.stream,
        seq: event.seq,
        t: event.t,
        cols: event.cols,
        rows: event.rows,
        bytes: event.bytes,
        ...bytesOf(event),
      };
    case 'input':
      return { stream: event.stream, data: base64(event.data) };
    case 'control':
      return { stream: event.stream, input: [...event.input] };
    case 'watch':
      return { stream: event.stream };
  }
}

function bytesOf(event: Bytes): JsonObject {
  if ('data' in event) return { data: base64(event.data) };
  const { extra, ...ref } = event.blob;
  return { blob: { ...ref, ...(extra ? { extra } : {}) } };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
