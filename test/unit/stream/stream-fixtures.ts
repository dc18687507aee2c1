/**
 * Shared pieces of the stream unit tests: a reproducible byte source, two peers in a fake
 * workspace, and a viewer-side read-back of everything a stream put on the wire.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeStreamEvent } from '../../../src/stream/protocol-decode.ts';
import { isSequenced, type StreamEvent } from '../../../src/stream/protocol.ts';
import { FakeNetwork, type FakeTransport } from '../../../src/transport/fake.ts';
import type {
  InboundMessage,
  Payload,
  Target,
  Transport,
} from '../../../src/transport/transport.ts';
import { seededRandom } from '../../support/seeded-random.ts';
import { ShapedTransport, type Shape } from './shaped-transport.ts';

export { seededRandom };

/** The workspace every fixture uses. */
export const WS: Target = { kind: 'workspace', workspace: '#ws' };

/** `size` reproducible bytes. */
export function pseudoBytes(size: number, seed = 1): Uint8Array {
  const random = seededRandom(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** Lower-case hex sha256. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Bytes joined end to end. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** UTF-8 bytes of a text. */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The event a payload decodes to; fails the test when it does not. */
export function eventOf(payload: Payload): StreamEvent {
  const decoded = decodeStreamEvent(payload);
  assert.ok(decoded?.ok, `expected a valid stream payload, got ${JSON.stringify(payload)}`);
  return decoded.event;
}

/** The `seq` of a message's stream event, if it carries one. */
export function seqOf(message: InboundMessage): number | undefined {
  if (message.type !== 'payload') return undefined;
  const decoded = decodeStreamEvent(message.payload);
  return decoded?.ok && isSequenced(decoded.event) ? decoded.event.seq : undefined;
}

/** Two connected peers in `#ws`: a shaped sharer (alice) and a plain viewer (bob). */
export async function twoPeers(shape: { sharer?: Shape; viewer?: Shape } = {}): Promise<{
  net: FakeNetwork;
  alice: FakeTransport;
  bob: FakeTransport;
  sharer: ShapedTransport;
  viewer: ShapedTransport;
}> {
  const net = new FakeNetwork();
  const alice = net.transport('alice');
  const bob = net.transport('bob');
  for (const peer of [alice, bob]) {
    await peer.connect();
    // As the session host does: it listens from the moment it connects, so messages from
    // before a follower starts are not kept for the follower (src/transport/listeners.ts).
    peer.subscribe(() => undefined);
    await peer.joinWorkspace('#ws');
  }
  return {
    net,
    alice,
    bob,
    sharer: new ShapedTransport(alice, shape.sharer),
    viewer: new ShapedTransport(bob, shape.viewer),
  };
}

/** What one stream put on the wire, as a viewer reads it back from history. */
export interface ReadBack {
  /** This stream's events in the order they reached the network. */
  readonly events: readonly StreamEvent[];
  /** Output bytes put together in `seq` order, blobs fetched. */
  readonly output: Uint8Array;
}

/** Read every page of `target`'s history and keep the events of `stream`. */
export async function readBack(
  viewer: Transport,
  target: Target,
  stream: string,
): Promise<ReadBack> {
  const newestFirst: StreamEvent[] = [];
  let before: string | undefined;
  do {
    const page = await viewer.history(target, { limit: 100, ...(before ? { before } : {}) });
    for (const message of page.messages) {
      if (message.type !== 'payload') continue;
      const decoded = decodeStreamEvent(message.payload);
      if (decoded?.ok && decoded.event.stream === stream) newestFirst.push(decoded.event);
    }
    before = page.next;
  } while (before !== undefined);
  const events = newestFirst.reverse();
  const chunks = new Map<number, Uint8Array>();
  for (const event of events) {
    if (event.type !== 'chunk' || chunks.has(event.seq)) continue;
    chunks.set(event.seq, 'data' in event ? event.data : await viewer.getBlob(event.blob));
  }
  const output = concat([...chunks.entries()].sort(([a], [b]) => a - b).map(([, bytes]) => bytes));
  return { events, output };
}
