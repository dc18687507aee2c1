/**
 * Publishes one terminal stream: output is coalesced into chunks, numbered, and sent in order.
 *
 * Coalescing adapts by itself, the way Nagle's algorithm does: a chunk is cut as soon as the
 * event loop turn that brought the bytes ends, but only while fewer than `window` sends are in
 * flight. When the server pushes back (a Matrix 429, a slow XMPP link) sends stay in flight
 * longer, bytes pile up, and the next cut is larger — inline up to `maxInline` bytes, then as a
 * blob of up to `maxBlob` — so the number of events per MB falls exactly when the server asks
 * for fewer. Nothing is dropped: failed sends are retried (the sequence number lets viewers drop
 * the duplicate a retry can cause), and when more than `highWater` bytes wait the producer is
 * paused (the program blocks on its writes, as on a slow terminal) until they fall under
 * `lowWater`.
 */
import { createHash, type Hash } from 'node:crypto';
import { MxAgentError, NetworkError, UsageError, messageOf } from '../errors.ts';
import type { Payload, Target, Transport } from '../transport/transport.ts';
import { encodeStreamEvent, type Bytes, type StreamEvent } from './protocol.ts';

/** Limits and hooks of a publisher. */
export interface PublisherOptions {
  readonly transport: Transport;
  readonly target: Target;
  readonly stream: string;
  /** When the stream started (ms since the epoch): event times are offsets from it. */
  readonly startedAt: number;
  /** Largest chunk sent inline; base64 of it must fit a payload (32 KiB). */
  readonly maxInline?: number;
  /** Waiting bytes from which a chunk goes as a blob instead. */
  readonly blobThreshold?: number;
  /** Largest blob chunk. */
  readonly maxBlob?: number;
  /** Sends in flight at once. */
  readonly window?: number;
  readonly highWater?: number;
  readonly lowWater?: number;
  /** Called with true when the producer should pause, false when it may resume. */
  readonly onPressure?: (paused: boolean) => void;
  /** Called once per output chunk as it is numbered, in sequence order. */
  readonly onChunk?: (seq: number, bytes: Uint8Array) => void;
  readonly log?: (level: 'warn' | 'debug', message: string) => void;
  readonly now?: () => number;
}

/** One event waiting to be sent, its payload possibly still being prepared (a blob upload). */
interface Pending {
  readonly payload: Promise<Payload>;
}

/** What a publisher has done so far. */
export interface PublisherStats {
  readonly bytes: number;
  readonly events: number;
  readonly chunks: number;
  readonly blobs: number;
  readonly retries: number;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15_000;
const SEND_TIMEOUT_MS = 60_000;

/** The sending side of one stream. */
export class StreamPublisher {
  readonly #o: Required<Omit<PublisherOptions, 'onPressure' | 'onChunk' | 'log' | 'now'>>;
  readonly #hooks: PublisherOptions;
  readonly #queue: Pending[] = [];
  readonly #buffer: Uint8Array[] = [];
  readonly #hash: Hash = createHash('sha256');
  #buffered = 0;
  #firstByteAt = 0;
  #seq = 0;
  #inFlight = 0;
  #cutScheduled = false;
  /** Settles when the previous send has been handed to the transport: sends go out in order. */
  #lastIssued: Promise<undefined> = Promise.resolve(undefined);
  #paused = false;
  #fatal: MxAgentError | undefined;
  #closed = false;
  #idle = Promise.withResolvers<undefined>();
  #stats = { bytes: 0, events: 0, chunks: 0, blobs: 0, retries: 0 };

  constructor(options: PublisherOptions) {
    this.#hooks = options;
    this.#o = {
      transport: options.transport,
      target: options.target,
      stream: options.stream,
      startedAt: options.startedAt,
      maxInline: options.maxInline ?? 23 * 1024,
      blobThreshold: options.blobThreshold ?? 64 * 1024,
      maxBlob: options.maxBlob ?? 4 * 1024 * 1024,
      // Two: one send on the wire while the next is prepared (a blob uploading). More only cut
      // small chunks at the start of a burst, each an event a rate limit charges for (5 MB under
      // Synapse's default limit: 7 events and 30 s with 4, 5 and 20 s with 2; bench/stream.ts).
      window: options.window ?? 2,
      highWater: options.highWater ?? 8 * 1024 * 1024,
      lowWater: options.lowWater ?? 1024 * 1024,
    };
    this.#idle.resolve(undefined);
  }

  /** The sequence number the next output, resize or end gets. */
  get nextSeq(): number {
    return this.#seq;
  }

  /** Output bytes numbered so far, and their running sha256 is kept for the end event. */
  get stats(): PublisherStats {
    return { ...this.#stats };
  }

  /** Milliseconds since the start. */
  elapsed(): number {
    return Math.max(0, Math.round(this.#now() - this.#o.startedAt));
  }

  /** Send an event that has no place in the sequence (start, snapshot, control), in order. */
  publish(event: StreamEvent): void {
    this.#enqueue(Promise.resolve(encodeStreamEvent(event)));
  }

  /** Send a snapshot (or anything) whose bytes may need a blob, in order. */
  publishWithBytes(make: (bytes: Bytes) => StreamEvent, data: Uint8Array, name: string): void {
    this.#enqueue(this.#withBytes(data, name).then((bytes) => encodeStreamEvent(make(bytes))));
  }

  /** Take output bytes; they are sent soon, coalesced with their neighbours. */
  output(bytes: Uint8Array): void {
    if (this.#closed || bytes.byteLength === 0) return;
    if (this.#buffered === 0) this.#firstByteAt = this.elapsed();
    this.#buffer.push(bytes);
    this.#buffered += bytes.byteLength;
    if (!this.#paused && this.#buffered >= this.#o.highWater) {
      this.#paused = true;
      this.#hooks.onPressure?.(true);
    }
    this.#scheduleCut();
  }

  /** Number everything waiting now: what follows (a resize, a snapshot) comes after it. */
  cutAll(): void {
    while (this.#buffered > 0) this.#cut();
  }

  /** The terminal was resized. */
  resize(cols: number, rows: number): void {
    this.cutAll();
    this.publish({
      type: 'resize',
      stream: this.#o.stream,
      seq: this.#seq++,
      t: this.elapsed(),
      cols,
      rows,
    });
  }

  /**
   * The program ended: send what waits, then the end event, and wait until everything is
   * delivered (or `timeoutMs` passes: then NetworkError says how much was not).
   */
  async end(exitCode: number | null, signal: string | undefined, timeoutMs: number): Promise<void> {
    this.cutAll();
    this.#closed = true;
    this.publish({
      type: 'end',
      stream: this.#o.stream,
      seq: this.#seq++,
      t: this.elapsed(),
      exitCode,
      ...(signal === undefined ? {} : { signal }),
      bytes: this.#stats.bytes,
      sha256: this.#hash.copy().digest('hex'),
    });
    await this.flushed(timeoutMs);
  }

  /** Wait until nothing is queued or in flight. */
  async flushed(timeoutMs: number): Promise<void> {
    this.#throwIfFatal();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new NetworkError(
            `${String(this.#queue.length + this.#inFlight)} stream events were not delivered within ${String(Math.round(timeoutMs / 1000))} s`,
          ),
        );
      }, timeoutMs);
    });
    try {
      await Promise.race([this.#idle.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.#throwIfFatal();
  }

  #throwIfFatal(): void {
    if (this.#fatal) throw this.#fatal;
  }

  /** The sha256 of all output numbered so far. */
  digest(): string {
    return this.#hash.copy().digest('hex');
  }

  #scheduleCut(): void {
    if (this.#cutScheduled) return;
    this.#cutScheduled = true;
    setImmediate(() => {
      this.#cutScheduled = false;
      while (this.#buffered > 0 && this.#queue.length + this.#inFlight < this.#o.window)
        this.#cut();
    });
  }

  /** Number the next chunk from the buffer and queue it. */
  #cut(): void {
    const asBlob = this.#buffered >= this.#o.blobThreshold;
    const limit = asBlob ? this.#o.maxBlob : this.#o.maxInline;
    const data = this.#take(limit);
    const seq = this.#seq++;
    const t = this.#firstByteAt;
    this.#firstByteAt = this.elapsed();
    this.#hash.update(data);
    this.#stats.bytes += data.byteLength;
    this.#stats.chunks += 1;
    this.#hooks.onChunk?.(seq, data);
    const stream = this.#o.stream;
    const size = data.byteLength;
    const payload = asBlob
      ? this.#withBytes(data, `${stream}-${String(seq)}.bin`).then((bytes) =>
          encodeStreamEvent({ type: 'chunk', stream, seq, t, size, ...bytes }),
        )
      : Promise.resolve(encodeStreamEvent({ type: 'chunk', stream, seq, t, size, data }));
    this.#enqueue(payload);
    if (this.#paused && this.#buffered <= this.#o.lowWater) {
      this.#paused = false;
      this.#hooks.onPressure?.(false);
    }
  }

  #take(limit: number): Uint8Array {
    const size = Math.min(limit, this.#buffered);
    const out = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const head = this.#buffer[0];
      if (!head) break;
      const part = Math.min(head.byteLength, size - filled);
      out.set(head.subarray(0, part), filled);
      filled += part;
      if (part === head.byteLength) this.#buffer.shift();
      else this.#buffer[0] = head.subarray(part);
    }
    this.#buffered -= size;
    return out;
  }

  async #withBytes(data: Uint8Array, name: string): Promise<Bytes> {
    if (data.byteLength <= this.#o.maxInline) return { data };
    this.#stats.blobs += 1;
    const blob = await this.#retrying('upload', () =>
      this.#o.transport.putBlob(
        data,
        { contentType: 'application/octet-stream', name },
        { timeoutMs: SEND_TIMEOUT_MS },
      ),
    );
    return { blob };
  }

  #enqueue(payload: Promise<Payload>): void {
    payload.catch(() => undefined); // failures surface where the queue awaits it
    if (this.#queue.length === 0 && this.#inFlight === 0)
      this.#idle = Promise.withResolvers<undefined>();
    this.#queue.push({ payload });
    this.#pump();
  }

  /** Start sends in queue order while the window allows. */
  #pump(): void {
    while (this.#inFlight < this.#o.window && this.#queue.length > 0 && !this.#fatal) {
      const next = this.#queue.shift();
      if (!next) break;
      this.#inFlight += 1;
      // Sends are started in order; the transport keeps per-target order on the wire.
      void this.#send(next).finally(() => {
        this.#inFlight -= 1;
        this.#pump();
        if (this.#buffered > 0) this.#scheduleCut();
        if (this.#queue.length === 0 && this.#inFlight === 0) this.#idle.resolve(undefined);
      });
    }
  }

  async #send(pending: Pending): Promise<void> {
    const previous = this.#lastIssued;
    const issued = Promise.withResolvers<undefined>();
    this.#lastIssued = issued.promise;
    try {
      const payload = await pending.payload;
      await previous;
      let first = true;
      await this.#retrying('send', () => {
        const sent = this.#o.transport.send(
          this.#o.target,
          { type: 'payload', payload },
          { timeoutMs: SEND_TIMEOUT_MS },
        );
        if (first) issued.resolve(undefined);
        first = false;
        return sent;
      });
      this.#stats.events += 1;
    } catch (error) {
      this.#fatal ??=
        error instanceof MxAgentError
          ? error
          : new NetworkError(messageOf(error), { cause: error });
      this.#idle.resolve(undefined);
    } finally {
      issued.resolve(undefined);
    }
  }

  /** Retry network failures with backoff; a usage error (a bug, a refusal) is final. */
  async #retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    for (let delay = RETRY_MIN_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      try {
        return await attempt();
      } catch (error) {
        if (error instanceof UsageError || this.#fatal) throw error;
        this.#stats.retries += 1;
        this.#hooks.log?.(
          'warn',
          `stream ${what} failed, retrying in ${String(delay)} ms: ${messageOf(error)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #now(): number {
    return this.#hooks.now?.() ?? Date.now();
  }
}
