/**
 * Rebuild a stream's recording from the conversation's history: every output chunk and resize
 * from the start to the end, in sequence, checked against the end event's byte count and
 * sha256 — a recording is either complete and exact or refused with what is missing.
 */
import { createHash } from 'node:crypto';
import { NetworkError, UsageError, quote } from '../errors.ts';
import type { Target, Transport } from '../transport/transport.ts';
import type { AsciicastEvent, AsciicastHeader } from './asciicast.ts';
import type { SequencedEvent, StreamEnd, StreamStart } from './protocol.ts';
import { StreamHistory } from './stream-history.ts';

/** A recording rebuilt from history. */
export interface ExportedStream {
  readonly header: AsciicastHeader;
  readonly events: AsciicastEvent[];
  readonly start: StreamStart;
  readonly end?: StreamEnd;
  readonly bytes: number;
}

/** Read `stream` back from its start and turn it into asciicast events. */
export async function exportStream(
  transport: Transport,
  target: Target,
  stream: string,
  signal: AbortSignal,
): Promise<ExportedStream> {
  const history = new StreamHistory(transport, target, stream);
  const sequenced = new Map<number, SequencedEvent>();
  let start: StreamStart | undefined;
  while (!start && !history.exhausted) {
    for (const event of await history.readPage(signal)) {
      if (event.type === 'start') start = event;
      else if (event.type === 'chunk' || event.type === 'resize' || event.type === 'end')
        sequenced.set(event.seq, event);
    }
  }
  if (!start) {
    const unreadable = history.unreadable
      ? ` (${String(history.unreadable)} events could not be decrypted)`
      : '';
    throw new UsageError(
      `the start of stream ${quote(stream)} is not in this conversation's history${unreadable}`,
    );
  }
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const hash = createHash('sha256');
  const events: AsciicastEvent[] = [];
  let bytes = 0;
  let end: StreamEnd | undefined;
  const last = Math.max(-1, ...sequenced.keys());
  for (let seq = 0; seq <= last; seq++) {
    const event = sequenced.get(seq);
    if (!event)
      throw new NetworkError(
        `event ${String(seq)} of stream ${stream} is missing from history; the recording would be wrong`,
      );
    if (event.type === 'resize')
      events.push({ type: 'resize', timeMs: event.t, cols: event.cols, rows: event.rows });
    else if (event.type === 'end') end = event;
    else {
      const data =
        'data' in event
          ? event.data
          : await transport.getBlob(event.blob, { timeoutMs: 120_000, signal });
      hash.update(data);
      bytes += data.byteLength;
      const text = decoder.decode(data, { stream: true });
      if (text) events.push({ type: 'output', timeMs: event.t, text });
    }
  }
  const rest = decoder.decode();
  if (rest)
    events.push({ type: 'output', timeMs: end?.t ?? events.at(-1)?.timeMs ?? 0, text: rest });
  if (end && (end.bytes !== bytes || end.sha256 !== hash.digest('hex')))
    throw new NetworkError(
      `stream ${stream} failed its integrity check: history does not add up to the ${String(end.bytes)} bytes the sharer sent`,
    );
  const header: AsciicastHeader = {
    width: start.cols,
    height: start.rows,
    timestamp: Math.floor(start.startedAt / 1000),
    title: start.title,
    command: start.command.join(' '),
    env: { TERM: start.term },
  };
  return { header, events, start, ...(end ? { end } : {}), bytes };
}
