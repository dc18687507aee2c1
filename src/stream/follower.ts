/**
 * The viewing side of a stream: turns live traffic plus history into one ordered, gap-free,
 * duplicate-free sequence of output for a renderer.
 *
 * It listens before it reads history, so nothing falls between the two. It starts from a base:
 * the stream's start (`from: 'start'`), the sequence number a previous viewer stopped at
 * (`resume`), or the newest screen snapshot (`screen`, for a late joiner — and it asks a live
 * sharer for a fresh one, which also covers history this device cannot decrypt). Events are
 * ordered by `seq`; a hole that live traffic does not fill within `gapWaitMs` is filled from
 * history; duplicates (retries, history overlapping live) are dropped by `seq`.
 */
import { createHash, type Hash } from 'node:crypto';
import { NetworkError, messageOf } from '../errors.ts';
import type { InboundMessage, Target, Transport } from '../transport/transport.ts';
import { decodeStreamEvent } from './protocol-decode.ts';
import {
  encodeStreamEvent,
  isSequenced,
  type SequencedEvent,
  type StreamEnd,
  type StreamEvent,
  type StreamSnapshot,
  type StreamStart,
} from './protocol.ts';
import { sameConversation } from './conversation.ts';
import { HoleTimer } from './hole-timer.ts';
import { StreamHistory } from './stream-history.ts';

/** What the renderer is given, in order. */
export type ViewerEvent =
  | { readonly type: 'start'; readonly start: StreamStart }
  /** Rendering begins at `seq` (after the start, a snapshot, or a resume point). */
  | { readonly type: 'ready'; readonly seq: number }
  | {
      readonly type: 'screen';
      readonly seq: number;
      readonly cols: number;
      readonly rows: number;
      readonly replay: Uint8Array;
    }
  | {
      readonly type: 'output';
      readonly seq: number;
      readonly t: number;
      readonly bytes: Uint8Array;
    }
  | { readonly type: 'resize'; readonly seq: number; readonly cols: number; readonly rows: number }
  | { readonly type: 'control'; readonly input: readonly string[] }
  | { readonly type: 'end'; readonly end: StreamEnd; readonly verified: boolean | undefined }
  | { readonly type: 'gap'; readonly from: number; readonly to: number };

/** Where to begin. */
export type FollowFrom =
  | { readonly kind: 'start' }
  /** A stream not begun yet (its follower listens before asking for it): no history to read. */
  | { readonly kind: 'new' }
  | { readonly kind: 'screen' }
  | { readonly kind: 'resume'; readonly seq: number };

/** What to follow. */
export interface FollowOptions {
  readonly transport: Transport;
  readonly target: Target;
  readonly stream: string;
  readonly from: FollowFrom;
  readonly signal: AbortSignal;
  /**
   * When it aborts, stop waiting for missing events: render what has arrived, in order,
   * skipping the holes, and end (the sender said it is done, and the grace is over).
   */
  readonly finish?: AbortSignal;
  readonly render: (event: ViewerEvent) => void;
  readonly log: (level: 'warn' | 'debug', message: string) => void;
  readonly gapWaitMs?: number;
  /** How long a hole is waited for (live and in history) before it is skipped. */
  readonly gapPatienceMs?: number;
  /** How long a late joiner waits for a snapshot when history has none it can read. */
  readonly snapshotWaitMs?: number;
}

/** How long a missing event is looked for before the viewer skips it. */
const GAP_PATIENCE_MS = 60_000;

/** The longest wait between two looks into history for a missing event. */
const GAP_RETRY_MAX_MS = 10_000;

/** Follow a stream until its end (or the signal); resolves with the end event. */
export async function followStream(o: FollowOptions): Promise<StreamEnd | undefined> {
  const f = new Follower(o);
  return f.run();
}

class Follower {
  readonly #o: FollowOptions;
  readonly #pending = new Map<number, { event: SequencedEvent; bytes?: Promise<Uint8Array> }>();
  readonly #history: StreamHistory;
  #next = -1;
  #snapshot: StreamSnapshot | undefined;
  #start: StreamStart | undefined;
  #hash: Hash | undefined;
  #bytes = 0;
  #draining = false;
  #adopt = false;
  #finishing = false;
  readonly #holes = new HoleTimer({
    look: () => this.#fillGap(),
    onError: (error, delayMs) => {
      this.#o.log('warn', `could not read stream history: ${messageOf(error)}`);
      this.#holes.set(this.#next, Math.min(delayMs * 2, GAP_RETRY_MAX_MS));
    },
    onSettled: () => {
      this.#watchGap();
    },
  });
  /** The hole being waited for: its seq, since when, and the current retry delay. */
  #gap: { seq: number; since: number; delayMs: number } | undefined;
  readonly #done = Promise.withResolvers<StreamEnd | undefined>();
  readonly #wake = new EventTarget();

  constructor(o: FollowOptions) {
    this.#o = o;
    this.#history = new StreamHistory(o.transport, o.target, o.stream);
  }

  async run(): Promise<StreamEnd | undefined> {
    const { transport, signal } = this.#o;
    const unsubscribe = transport.subscribe((event) => {
      if (event.type === 'payload' && sameConversation(event.target, this.#o.target))
        this.#onLive(event);
    });
    const onAbort = (): void => {
      this.#done.resolve(undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const onFinish = (): void => {
      this.#finishing = true;
      if (this.#next >= 0) this.#drain();
    };
    if (this.#o.finish?.aborted) this.#finishing = true;
    else this.#o.finish?.addEventListener('abort', onFinish, { once: true });
    try {
      await this.#requestSnapshot();
      await this.#findBase();
      this.#drain();
      return await this.#done.promise;
    } finally {
      this.#holes.close();
      signal.removeEventListener('abort', onAbort);
      this.#o.finish?.removeEventListener('abort', onFinish);
      unsubscribe();
    }
  }

  #onLive(message: InboundMessage): void {
    if (message.type !== 'payload') return;
    const decoded = decodeStreamEvent(message.payload);
    if (!decoded) return;
    if (!decoded.ok) {
      this.#o.log('warn', `dropped a stream payload from ${message.from}: ${decoded.reason}`);
      return;
    }
    if (decoded.event.stream !== this.#o.stream) return;
    if (this.#adopt && isSequenced(decoded.event)) {
      this.#adopt = false;
      this.#next = decoded.event.seq;
    }
    this.#take(decoded.event);
    this.#wake.dispatchEvent(new Event('event'));
    if (this.#next >= 0) this.#drain();
  }

  /** File an event (live or from history). */
  #take(event: StreamEvent): void {
    if (event.type === 'start') this.#start ??= event;
    else if (event.type === 'snapshot') {
      if (!this.#snapshot || event.seq > this.#snapshot.seq) this.#snapshot = event;
    } else if (event.type === 'control') {
      this.#o.render({ type: 'control', input: event.input });
    } else if (
      isSequenced(event) &&
      (this.#next < 0 || event.seq >= this.#next) &&
      !this.#pending.has(event.seq)
    ) {
      const entry: { event: SequencedEvent; bytes?: Promise<Uint8Array> } = { event };
      if (event.type === 'chunk' && 'blob' in event) {
        entry.bytes = this.#o.transport.getBlob(event.blob, {
          timeoutMs: 120_000,
          signal: this.#o.signal,
        });
        entry.bytes.catch(() => undefined);
      }
      this.#pending.set(event.seq, entry);
    }
  }

  /** Ask a live sharer for a fresh snapshot (harmless when the stream has ended). */
  async #requestSnapshot(): Promise<void> {
    if (this.#o.from.kind !== 'screen') return;
    const payload = encodeStreamEvent({ type: 'watch', stream: this.#o.stream });
    await this.#o.transport
      .send(
        this.#o.target,
        { type: 'payload', payload },
        { timeoutMs: 10_000, signal: this.#o.signal },
      )
      .catch((error: unknown) => {
        this.#o.log('debug', `could not ask for a snapshot: ${messageOf(error)}`);
      });
  }

  /** Read history back far enough to know where rendering begins. */
  async #findBase(): Promise<void> {
    const from = this.#o.from;
    const enough = (): boolean => {
      if (this.#start || from.kind === 'new') return true;
      if (from.kind === 'resume') return this.#history.oldestSeq <= from.seq;
      if (from.kind === 'screen') return this.#snapshot !== undefined;
      return false;
    };
    while (!enough() && !this.#history.exhausted) {
      for (const event of await this.#history.readPage(this.#o.signal)) this.#take(event);
    }
    if (from.kind === 'screen' && !this.#start && !this.#snapshot) await this.#awaitSnapshot();
    if (from.kind === 'resume') {
      // Resumed past the end (this viewer saw it before): render the end again, do not wait.
      const ended = [...this.#pending.values()].find((p) => p.event.type === 'end')?.event;
      this.#next = ended && ended.seq < from.seq ? ended.seq : from.seq;
    } else if (from.kind === 'screen' && this.#snapshot) {
      if (this.#snapshot.seq > 0) this.#showSnapshot(this.#snapshot);
      else this.#next = 0;
    } else if (this.#start || from.kind === 'start' || from.kind === 'new') this.#next = 0;
    else if (this.#pending.size > 0) this.#next = Math.min(...this.#pending.keys());
    // Nothing readable yet: begin with the first event that arrives.
    else this.#adopt = true;
    if (this.#start) this.#o.render({ type: 'start', start: this.#start });
    this.#o.render({ type: 'ready', seq: this.#next });
    if (this.#next === 0) this.#hash = createHash('sha256');
    if (
      this.#history.unreadable > 0 &&
      !this.#start &&
      this.#next !== (this.#snapshot?.seq ?? -1) &&
      from.kind !== 'resume'
    )
      this.#o.log(
        'warn',
        `${String(this.#history.unreadable)} earlier events of this stream could not be decrypted`,
      );
    for (const seq of [...this.#pending.keys()]) if (seq < this.#next) this.#pending.delete(seq);
  }

  #showSnapshot(shot: StreamSnapshot): void {
    this.#next = shot.seq;
    this.#bytes = shot.bytes;
    const render = (replay: Uint8Array): void => {
      this.#o.render({ type: 'screen', seq: shot.seq, cols: shot.cols, rows: shot.rows, replay });
    };
    if ('data' in shot) render(shot.data);
    else
      this.#pendingScreen = this.#o.transport
        .getBlob(shot.blob, { timeoutMs: 120_000 })
        .then(render);
  }

  #pendingScreen: Promise<void> | undefined;

  async #awaitSnapshot(): Promise<void> {
    const deadline = Date.now() + (this.#o.snapshotWaitMs ?? 10_000);
    while (!this.#snapshot && !this.#start && Date.now() < deadline && !this.#o.signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.#wake.addEventListener(
          'event',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }

  /** Render every event that is next in line; arm the gap timer when one is missing. */
  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    void this.#drainLoop().catch((error: unknown) => {
      this.#draining = false;
      this.#done.reject(error instanceof Error ? error : new NetworkError(messageOf(error)));
    });
  }

  async #drainLoop(): Promise<void> {
    if (this.#pendingScreen) await this.#pendingScreen;
    this.#pendingScreen = undefined;
    for (;;) {
      const entry = this.#pending.get(this.#next);
      if (!entry && this.#finishing) {
        // Finishing: nothing more will come; skip the hole to what did.
        if (this.#pending.size === 0) {
          this.#done.resolve(undefined);
          return;
        }
        this.#skipTo(Math.min(...this.#pending.keys()));
        continue;
      }
      if (!entry) break;
      const { event } = entry;
      if (event.type === 'chunk') {
        const bytes = entry.bytes
          ? await entry.bytes
          : 'data' in event
            ? event.data
            : new Uint8Array();
        this.#hash?.update(bytes);
        this.#bytes += bytes.byteLength;
        this.#o.render({ type: 'output', seq: event.seq, t: event.t, bytes });
      } else if (event.type === 'resize') {
        this.#o.render({ type: 'resize', seq: event.seq, cols: event.cols, rows: event.rows });
      } else {
        const verified = this.#hash
          ? this.#hash.digest('hex') === event.sha256 && this.#bytes === event.bytes
          : undefined;
        this.#pending.delete(event.seq);
        // #draining stays set: nothing is rendered after the end, not even a repeated end.
        this.#o.render({ type: 'end', end: event, verified });
        this.#done.resolve(event);
        return;
      }
      this.#pending.delete(event.seq);
      this.#next += 1;
    }
    // Cleared in the same turn as the last look at #pending: an event that arrives a microtask
    // later (the rest of a batch of live events) must start a drain of its own, not wait here.
    this.#draining = false;
    this.#watchGap();
  }

  /** Events after `#next` came but not it: look for it in history (hole-timer.ts). */
  #watchGap(): void {
    this.#holes.watch(this.#pending.size > 0 ? this.#next : undefined, this.#o.gapWaitMs ?? 1_000);
  }

  /** A hole live traffic did not fill: read history back to it, or skip what is gone. */
  async #fillGap(): Promise<void> {
    const wanted = this.#next;
    this.#history.restart();
    while (
      !this.#pending.has(wanted) &&
      this.#history.oldestSeq > wanted &&
      !this.#history.exhausted
    )
      for (const event of await this.#history.readPage(this.#o.signal)) this.#take(event);
    if (!this.#pending.has(wanted) && this.#next === wanted) {
      // A sender retrying a failed send delivers it late, after later events: keep looking
      // (live and in history) for a while before giving the hole up.
      if (this.#gap?.seq !== wanted) this.#gap = { seq: wanted, since: Date.now(), delayMs: 0 };
      const gap = this.#gap;
      // History read to its beginning holds events this device cannot decrypt (Matrix: sent
      // before it was in the room): the hole is one of them, waiting will not fill it.
      const undecryptable = this.#history.exhausted && this.#history.unreadable > 0;
      if (!undecryptable && Date.now() - gap.since < (this.#o.gapPatienceMs ?? GAP_PATIENCE_MS)) {
        gap.delayMs = Math.min(
          Math.max(gap.delayMs * 2, this.#o.gapWaitMs ?? 1_000),
          GAP_RETRY_MAX_MS,
        );
        this.#holes.set(wanted, gap.delayMs);
        return;
      }
      this.#skipTo(
        Math.min(...this.#pending.keys()),
        undecryptable
          ? ' (this device holds no key for them: were they sent before it joined?)'
          : '',
      );
    }
    this.#drain();
  }

  /** Give up the events from #next to `to` - 1: say so, and go on from `to`. */
  #skipTo(to: number, why = ''): void {
    this.#o.log(
      'warn',
      `events ${String(this.#next)} to ${String(to - 1)} of the stream could not be read${why}; skipping them`,
    );
    this.#o.render({ type: 'gap', from: this.#next, to: to - 1 });
    this.#hash = undefined;
    this.#next = to;
  }
}
