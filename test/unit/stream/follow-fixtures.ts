/**
 * The follower tests' sharer and viewer: a StreamPublisher driven one step at a time (every
 * output step is one chunk, so sequence numbers are known), and a followStream whose renders
 * and logs are kept for assertions.
 */
import assert from 'node:assert/strict';
import {
  followStream,
  type FollowFrom,
  type FollowOptions,
  type ViewerEvent,
} from '../../../src/stream/follower.ts';
import type { StreamEnd, StreamStart } from '../../../src/stream/protocol.ts';
import { StreamPublisher, type PublisherOptions } from '../../../src/stream/publisher.ts';
import type { Transport } from '../../../src/transport/transport.ts';
import { WS, concat, utf8 } from './stream-fixtures.ts';

/** The id of the stream every follower test publishes. */
export const ID = 'f0110e5de7a1';
/** Its start event. */
export const START: StreamStart = {
  type: 'start',
  stream: ID,
  command: ['sh'],
  title: 'demo',
  cols: 80,
  rows: 24,
  term: 'xterm-256color',
  mode: 'pty',
  startedAt: 0,
  input: ['fake:bob'],
};

/** One thing the sharer does. */
export type Step =
  | string
  | Uint8Array
  | { readonly resize: readonly [number, number] }
  | { readonly snapshot: Uint8Array };

/** A stream as published: output bytes by sequence number. */
export interface Published {
  readonly bySeq: ReadonlyMap<number, Uint8Array>;
  /** Output of the events numbered `from` and later. */
  readonly after: (from: number) => Uint8Array;
  readonly all: Uint8Array;
}

/** A sharer that publishes one step at a time; every output step becomes one chunk. */
export function sharerOf(
  transport: Transport,
  options: Partial<PublisherOptions> = {},
): { publisher: StreamPublisher; step: (s: Step) => void; end: () => Promise<Published> } {
  const bySeq = new Map<number, Uint8Array>();
  const publisher = new StreamPublisher({
    transport,
    target: WS,
    stream: ID,
    startedAt: 0,
    onChunk: (seq, bytes) => bySeq.set(seq, bytes),
    ...options,
  });
  publisher.publish(START);
  const step = (s: Step): void => {
    if (typeof s === 'string' || s instanceof Uint8Array) {
      publisher.output(typeof s === 'string' ? utf8(s) : s);
      publisher.cutAll();
    } else if ('resize' in s) publisher.resize(...s.resize);
    else {
      publisher.cutAll();
      const seq = publisher.nextSeq;
      const bytes = publisher.stats.bytes;
      publisher.publishWithBytes(
        (data) => ({ type: 'snapshot', stream: ID, seq, t: 0, cols: 80, rows: 24, bytes, ...data }),
        s.snapshot,
        `${ID}-snapshot.bin`,
      );
    }
  };
  const end = async (): Promise<Published> => {
    await publisher.end(0, undefined, 10_000);
    const after = (from: number): Uint8Array =>
      concat(
        [...bySeq]
          .filter(([seq]) => seq >= from)
          .sort(([a], [b]) => a - b)
          .map(([, b]) => b),
      );
    return { bySeq, after, all: after(0) };
  };
  return { publisher, step, end };
}

/** Publish a whole stream. */
export async function share(
  transport: Transport,
  steps: readonly Step[],
  options: Partial<PublisherOptions> = {},
): Promise<Published> {
  const sharer = sharerOf(transport, options);
  for (const s of steps) sharer.step(s);
  return sharer.end();
}

/** A follower and what it rendered. */
export interface Watcher {
  readonly events: ViewerEvent[];
  readonly logs: string[];
  readonly ready: Promise<void>;
  /** Resolves with the end (or undefined when aborted); fails the test if that takes 5 s. */
  finished(): Promise<StreamEnd | undefined>;
  abort(): void;
  output(): Uint8Array;
  types(): string[];
}

/** Follow the stream on `viewer`, keeping what is rendered and logged. */
export function watch(
  viewer: Transport,
  from: FollowFrom,
  options: Partial<FollowOptions> = {},
): Watcher {
  const controller = new AbortController();
  const events: ViewerEvent[] = [];
  const logs: string[] = [];
  const ready = Promise.withResolvers<undefined>();
  const ended = followStream({
    transport: viewer,
    target: WS,
    stream: ID,
    from,
    signal: controller.signal,
    render: (event) => {
      events.push(event);
      if (event.type === 'ready') ready.resolve(undefined);
    },
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...options,
  });
  ended.catch(() => undefined);
  return {
    events,
    logs,
    ready: ready.promise,
    finished: async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new Error(
              `the follower did not finish; it rendered ${JSON.stringify(events.map((e) => e.type))}`,
            ),
          );
        }, 5_000);
      });
      try {
        return await Promise.race([ended, timeout]);
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
    },
    abort: () => {
      controller.abort();
    },
    output: () => concat(events.flatMap((e) => (e.type === 'output' ? [e.bytes] : []))),
    types: () => events.map((e) => (e.type === 'output' ? `output ${String(e.seq)}` : e.type)),
  };
}

/** The `verified` of the rendered end; fails the test when no end was rendered. */
export const verifiedOf = (w: Watcher): boolean | undefined => {
  const end = w.events.find((e) => e.type === 'end');
  assert.ok(end?.type === 'end', `expected an end, rendered ${JSON.stringify(w.types())}`);
  return end.verified;
};

/** Sequence numbers of the rendered output, in order. */
export const outputSeqs = (w: Watcher): number[] =>
  w.events.flatMap((e) => (e.type === 'output' ? [e.seq] : []));
