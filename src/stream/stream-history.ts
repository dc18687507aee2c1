/**
 * Reading a stream's past from the conversation it was published in, newest page first.
 * Only this stream's events are kept; everything else on a page is skipped.
 */
import type { Target, Transport } from '../transport/transport.ts';
import { decodeStreamEvent } from './protocol-decode.ts';
import { isSequenced, type StreamEvent, type StreamStart, type StreamEnd } from './protocol.ts';

/** Messages asked for per page. */
const PAGE = 100;

/** A backwards reader of one stream's history. */
export class StreamHistory {
  readonly #transport: Transport;
  readonly #target: Target;
  readonly #stream: string;
  #cursor: string | undefined;
  #exhausted = false;
  #oldestSeq = Number.MAX_SAFE_INTEGER;
  #unreadable = 0;

  constructor(transport: Transport, target: Target, stream: string) {
    this.#transport = transport;
    this.#target = target;
    this.#stream = stream;
  }

  /** True once the beginning of the conversation has been read. */
  get exhausted(): boolean {
    return this.#exhausted;
  }

  /** The lowest sequence number read so far. */
  get oldestSeq(): number {
    return this.#oldestSeq;
  }

  /** Messages the network could not let us read (undecryptable). */
  get unreadable(): number {
    return this.#unreadable;
  }

  /** Read again from the newest page. */
  restart(): void {
    this.#cursor = undefined;
    this.#exhausted = false;
    this.#oldestSeq = Number.MAX_SAFE_INTEGER;
  }

  /** The next older page's events of this stream, newest first. */
  async readPage(signal: AbortSignal): Promise<StreamEvent[]> {
    if (this.#exhausted) return [];
    const page = await this.#transport.history(
      this.#target,
      { limit: PAGE, ...(this.#cursor === undefined ? {} : { before: this.#cursor }) },
      { timeoutMs: 60_000, signal },
    );
    this.#unreadable += page.unreadable;
    this.#cursor = page.next;
    this.#exhausted = page.next === undefined;
    const events: StreamEvent[] = [];
    for (const message of page.messages) {
      if (message.type !== 'payload') continue;
      const decoded = decodeStreamEvent(message.payload);
      if (!decoded?.ok || decoded.event.stream !== this.#stream) continue;
      events.push(decoded.event);
      if (isSequenced(decoded.event))
        this.#oldestSeq = Math.min(this.#oldestSeq, decoded.event.seq);
      if (decoded.event.type === 'start') this.#oldestSeq = 0;
    }
    return events;
  }
}

/** A stream found by scanning a conversation's history. */
export interface FoundStream {
  readonly start: StreamStart;
  readonly from: string;
  readonly end?: StreamEnd;
}

/** Streams started in a conversation within the newest `maxPages` pages, newest first. */
export async function scanStreams(
  transport: Transport,
  target: Target,
  signal: AbortSignal,
  maxPages = 20,
): Promise<FoundStream[]> {
  const starts = new Map<string, { start: StreamStart; from: string }>();
  const ends = new Map<string, StreamEnd>();
  let cursor: string | undefined;
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await transport.history(
      target,
      { limit: PAGE, ...(cursor === undefined ? {} : { before: cursor }) },
      { timeoutMs: 60_000, signal },
    );
    for (const message of page.messages) {
      if (message.type !== 'payload') continue;
      const decoded = decodeStreamEvent(message.payload);
      if (!decoded?.ok) continue;
      const { event } = decoded;
      if (event.type === 'start') starts.set(event.stream, { start: event, from: message.from });
      if (event.type === 'end') ends.set(event.stream, event);
    }
    cursor = page.next;
    if (cursor === undefined) break;
  }
  return [...starts.values()]
    .map((s) => {
      const end = ends.get(s.start.stream);
      return end ? { ...s, end } : s;
    })
    .sort((a, b) => b.start.startedAt - a.start.startedAt);
}
