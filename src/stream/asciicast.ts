/**
 * asciicast v2 recordings (https://docs.asciinema.org/manual/asciicast/v2/): one JSON header
 * line, then one `[time, code, data]` line per event, time in seconds since the start.
 *
 * asciicast carries text, not bytes: output and input are decoded as UTF-8 with one streaming
 * decoder per direction, so a character split across two chunks is written whole, but bytes that
 * are not valid UTF-8 become U+FFFD and cannot be recovered from a recording.
 *
 * Our API counts time in whole milliseconds since the start; the file has seconds with three
 * decimals. Parsing and playback live in asciicast-parse.ts and asciicast-play.ts.
 */
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { InternalError, UsageError, quote } from '../errors.ts';
import { isPositiveInteger } from './asciicast-parse.ts';

export { outputOf, parseAsciicast } from './asciicast-parse.ts';
export { playAsciicast, type PlayOptions } from './asciicast-play.ts';

/** The header fields we write and read; `timestamp` is Unix seconds, `idleTimeLimit` seconds. */
export interface AsciicastHeader {
  readonly width: number;
  readonly height: number;
  readonly timestamp?: number;
  readonly title?: string;
  readonly command?: string;
  readonly idleTimeLimit?: number;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * One event, `timeMs` since the start. The v2 codes are o, i, m and r; the spec asks players to
 * ignore codes they do not know, so an unknown one is kept (and written back) rather than refused.
 */
export type AsciicastEvent =
  | { readonly type: 'output'; readonly timeMs: number; readonly text: string }
  | { readonly type: 'input'; readonly timeMs: number; readonly text: string }
  | { readonly type: 'marker'; readonly timeMs: number; readonly label: string }
  | {
      readonly type: 'resize';
      readonly timeMs: number;
      readonly cols: number;
      readonly rows: number;
    }
  | {
      readonly type: 'unknown';
      readonly timeMs: number;
      readonly code: string;
      readonly data: string;
    };

/** A whole recording: its header and its events in time order. */
export interface Asciicast {
  readonly header: AsciicastHeader;
  readonly events: readonly AsciicastEvent[];
}

/** Where encoded lines go, each without its newline: a file, or an array in memory. */
export interface LineSink {
  write(line: string): void;
  close(): void;
}

/** The header as its JSON line; absent optional fields are left out. */
export function formatHeader(header: AsciicastHeader): string {
  const { width, height, timestamp, title, command, idleTimeLimit, env } = header;
  if (!isPositiveInteger(width) || !isPositiveInteger(height)) {
    throw new InternalError(`expected a size in whole cells, got ${quote(`${width}x${height}`)}`);
  }
  return JSON.stringify({
    version: 2,
    width,
    height,
    // The format has whole seconds here.
    timestamp: timestamp === undefined ? undefined : Math.floor(timestamp),
    title,
    command,
    idle_time_limit: idleTimeLimit,
    env,
  });
}

/** An event as its JSON line. */
export function formatEvent(event: AsciicastEvent): string {
  // toFixed keeps millisecond precision without float noise such as 0.30000000000000004.
  const time = (event.timeMs / 1000).toFixed(3);
  return `[${time},${JSON.stringify(codeAndData(event)).slice(1)}`;
}

function codeAndData(event: AsciicastEvent): [string, string] {
  switch (event.type) {
    case 'output':
      return ['o', event.text];
    case 'input':
      return ['i', event.text];
    case 'marker':
      return ['m', event.label];
    case 'resize':
      return ['r', `${event.cols}x${event.rows}`];
    case 'unknown':
      return [event.code, event.data];
  }
}

/** A whole recording as file text, for when all events are known (`stream export`). */
export function buildAsciicast(header: AsciicastHeader, events: readonly AsciicastEvent[]): string {
  return [formatHeader(header), ...events.map(formatEvent), ''].join('\n');
}

/** Writes a recording as it happens: the header at once, then each event as it comes. */
export class AsciicastWriter {
  readonly #sink: LineSink;
  // ignoreBOM keeps a byte order mark as U+FEFF instead of dropping it from the first chunk.
  readonly #output = new TextDecoder('utf-8', { ignoreBOM: true });
  readonly #input = new TextDecoder('utf-8', { ignoreBOM: true });
  #lastMs = 0;
  #closed = false;

  constructor(header: AsciicastHeader, sink: LineSink) {
    this.#sink = sink;
    sink.write(formatHeader(header));
  }

  /** A writer to a new file, readable by its owner only: terminal output may hold secrets. */
  static toFile(
    path: string,
    header: AsciicastHeader,
    options: { overwrite?: boolean } = {},
  ): AsciicastWriter {
    return new AsciicastWriter(header, fileSink(path, options.overwrite ?? false));
  }

  /** Output bytes at `tMs`; an incomplete character at the end waits for the next chunk. */
  output(tMs: number, bytes: Uint8Array): void {
    this.#text('output', tMs, this.#output.decode(bytes, { stream: true }));
  }

  /** Input bytes (keys typed) at `tMs`, decoded like output. */
  input(tMs: number, bytes: Uint8Array): void {
    this.#text('input', tMs, this.#input.decode(bytes, { stream: true }));
  }

  /** The terminal became `cols` by `rows` at `tMs`. */
  resize(tMs: number, cols: number, rows: number): void {
    if (!isPositiveInteger(cols) || !isPositiveInteger(rows)) {
      throw new InternalError(`expected a size in whole cells, got ${quote(`${cols}x${rows}`)}`);
    }
    this.#event({ type: 'resize', timeMs: this.#time(tMs), cols, rows });
  }

  /** A marker (a chapter point for players) at `tMs`. */
  marker(tMs: number, label = ''): void {
    this.#event({ type: 'marker', timeMs: this.#time(tMs), label });
  }

  /** Write what the decoders still hold (an unfinished character becomes U+FFFD) and close. */
  close(): void {
    if (this.#closed) return;
    this.#text('output', this.#lastMs, this.#output.decode());
    this.#text('input', this.#lastMs, this.#input.decode());
    this.#closed = true;
    this.#sink.close();
  }

  #text(type: 'output' | 'input', tMs: number, text: string): void {
    // A chunk holding only the start of a character decodes to nothing yet.
    if (text !== '') this.#event({ type, timeMs: this.#time(tMs), text });
  }

  #event(event: AsciicastEvent): void {
    if (this.#closed) {
      throw new InternalError('expected an open asciicast writer, got a closed one');
    }
    this.#sink.write(formatEvent(event));
  }

  /** Whole ms, never before the previous event: a parser (ours too) refuses time going back. */
  #time(tMs: number): number {
    this.#lastMs = Math.max(this.#lastMs, Number.isFinite(tMs) ? Math.round(tMs) : 0);
    return this.#lastMs;
  }
}

/**
 * Each line goes to the file with a synchronous write, so the kernel has every event once the
 * call returns: a crash of this process loses nothing already written.
 */
function fileSink(path: string, overwrite: boolean): LineSink {
  let fd: number;
  try {
    fd = openSync(path, overwrite ? 'w' : 'wx', 0o600);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    const expected = code === 'EEXIST' ? 'a path where no file exists yet' : 'a writable path';
    throw new UsageError(`expected ${expected} for the recording, got ${quote(path)}`, {
      cause: error,
    });
  }
  // An existing file keeps its mode when truncated; make it private like a new one.
  if (overwrite) fchmodSync(fd, 0o600);
  return {
    write: (line) => {
      writeSync(fd, `${line}\n`);
    },
    close: () => {
      closeSync(fd);
    },
  };
}
