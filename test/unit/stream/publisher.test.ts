import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetworkError, UsageError } from '../../../src/errors.ts';
import type { StreamChunk, StreamEnd, StreamEvent } from '../../../src/stream/protocol.ts';
import { StreamPublisher, type PublisherOptions } from '../../../src/stream/publisher.ts';
import type { Payload } from '../../../src/transport/transport.ts';
import type { ShapedTransport } from './shaped-transport.ts';
import {
  WS,
  concat,
  eventOf,
  pseudoBytes,
  readBack,
  sha256,
  twoPeers,
  utf8,
  type ReadBack,
} from './stream-fixtures.ts';

const ID = 'a1b2c3d4e5f6';
const MiB = 1024 * 1024;
const KiB = 1024;

function publisherOn(
  sharer: ShapedTransport,
  options: Partial<PublisherOptions> = {},
): StreamPublisher {
  return new StreamPublisher({
    transport: sharer,
    target: WS,
    stream: ID,
    startedAt: 0,
    ...options,
  });
}

/** Write `data` in `piece`-sized writes, one per event-loop turn, as a busy program would. */
async function writeInTurns(
  publisher: StreamPublisher,
  data: Uint8Array,
  piece: number,
): Promise<number> {
  let pieces = 0;
  for (let at = 0; at < data.byteLength; at += piece) {
    publisher.output(data.subarray(at, at + piece));
    pieces += 1;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return pieces;
}

const chunksOf = (back: ReadBack): StreamChunk[] =>
  back.events.filter((e): e is StreamChunk => e.type === 'chunk');

const endOf = (back: ReadBack): StreamEnd => {
  const end = back.events.find((e): e is StreamEnd => e.type === 'end');
  assert.ok(end, 'expected an end event');
  return end;
};

/** Chunks are numbered 0…n-1 and went out in that order; the end is n and came last. */
function assertInOrder(back: ReadBack): void {
  const seqs = back.events.flatMap((e) => ('seq' in e && e.type !== 'snapshot' ? [e.seq] : []));
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i),
    'sequence numbers on the wire',
  );
  assert.equal(back.events.at(-1)?.type, 'end');
}

/** Publish a 1 MiB burst in 4 KiB writes through `sharer`; what the viewer read back. */
async function burst(
  shape: (sharer: ShapedTransport) => void,
  options: Partial<PublisherOptions> = {},
): Promise<{ back: ReadBack; pieces: number; data: Uint8Array; publisher: StreamPublisher }> {
  const { sharer, viewer } = await twoPeers();
  shape(sharer);
  const publisher = publisherOn(sharer, options);
  const data = pseudoBytes(MiB, 7);
  const pieces = await writeInTurns(publisher, data, 4 * KiB);
  await publisher.end(0, undefined, 30_000);
  return { back: await readBack(viewer, WS, ID), pieces, data, publisher };
}

describe('StreamPublisher coalescing', () => {
  it('coalesces many small writes into few chunks while a slow send is in flight', async (t) => {
    const { back, pieces, data, publisher } = await burst(
      (sharer) => {
        sharer.sendDelayMs = 50;
      },
      { window: 1 },
    );
    const chunks = chunksOf(back);
    assert.equal(pieces, 256);
    t.diagnostic(`${String(pieces)} writes → ${String(chunks.length)} chunks`);
    assert.ok(
      chunks.length <= pieces / 8,
      `${String(chunks.length)} chunks for ${String(pieces)} writes`,
    );
    assert.equal(publisher.stats.chunks, chunks.length);
    assertInOrder(back);
    assert.equal(sha256(back.output), sha256(data));
    assert.equal(back.output.byteLength, data.byteLength);
  });

  it('sends fewer, larger chunks when the server is slow than when it is fast', async (t) => {
    const fast = await burst(() => undefined);
    const slow = await burst((sharer) => {
      sharer.sendDelayMs = 50;
    });
    const perMiB = (run: typeof fast): number =>
      chunksOf(run.back).length / (run.data.byteLength / MiB);
    const meanSize = (run: typeof fast): number => run.data.byteLength / chunksOf(run.back).length;
    t.diagnostic(`events per MiB: fast ${String(perMiB(fast))}, slow ${String(perMiB(slow))}`);
    assert.ok(
      perMiB(fast) >= 8 * perMiB(slow),
      `events per MiB: fast ${String(perMiB(fast))}, slow ${String(perMiB(slow))}`,
    );
    assert.ok(meanSize(slow) > 8 * meanSize(fast));
    // A fast server gets every write as it comes: nothing waits to be coalesced.
    assert.equal(chunksOf(fast.back).length, fast.pieces);
    for (const run of [fast, slow]) {
      assertInOrder(run.back);
      assert.equal(sha256(run.back.output), sha256(run.data));
    }
  });
});

describe('StreamPublisher blobs', () => {
  it('sends a chunk past the blob threshold as a blob a viewer can fetch', async () => {
    const { sharer, viewer } = await twoPeers();
    const publisher = publisherOn(sharer);
    const big = pseudoBytes(200 * KiB, 3);
    publisher.output(utf8('prompt$ '));
    publisher.cutAll();
    publisher.output(big);
    await publisher.end(0, undefined, 10_000);

    const back = await readBack(viewer, WS, ID);
    const [small, large, ...rest] = chunksOf(back);
    assert.deepEqual(rest, []);
    assert.ok(small && 'data' in small, 'a small chunk goes inline');
    assert.ok(large && 'blob' in large, 'a large chunk goes as a blob');
    assert.equal(large.size, big.byteLength);
    assert.equal(large.blob.size, big.byteLength);
    assert.equal(large.blob.sha256, sha256(big));
    assert.deepEqual(await viewer.getBlob(large.blob), big);
    assert.deepEqual(back.output, concat([utf8('prompt$ '), big]));
    assert.equal(publisher.stats.blobs, 1);
  });

  it('cuts blobs of at most maxBlob and keeps small cuts inline', async () => {
    const { sharer, viewer } = await twoPeers();
    const publisher = publisherOn(sharer, {
      maxInline: 4 * KiB,
      blobThreshold: 8 * KiB,
      maxBlob: 16 * KiB,
    });
    const data = pseudoBytes(43 * KiB, 4);
    publisher.output(data);
    await publisher.end(0, undefined, 10_000);

    const back = await readBack(viewer, WS, ID);
    const shapes = chunksOf(back).map(
      (c) => `${'blob' in c ? 'blob' : 'inline'} ${String(c.size / KiB)}`,
    );
    // 43 → 16 (blob) → 16 (blob) → 11 ≥ 8: 11 (blob); nothing is left for an inline cut.
    assert.deepEqual(shapes, ['blob 16', 'blob 16', 'blob 11']);
    assert.deepEqual(back.output, data);
  });

  it('retries a failed upload and still sends the chunk in its place', async () => {
    const { sharer, viewer } = await twoPeers();
    let uploads = 0;
    sharer.putBlobFault = () =>
      ++uploads === 1 ? new NetworkError('upload timed out') : undefined;
    const warnings: string[] = [];
    const publisher = publisherOn(sharer, { log: (_level, message) => warnings.push(message) });
    const big = pseudoBytes(100 * KiB, 5);
    publisher.output(big);
    publisher.cutAll();
    publisher.output(utf8('after'));
    await publisher.end(0, undefined, 10_000);

    const back = await readBack(viewer, WS, ID);
    assertInOrder(back);
    assert.deepEqual(back.output, concat([big, utf8('after')]));
    assert.equal(sharer.putBlobAttempts, 2);
    assert.deepEqual(warnings, ['stream upload failed, retrying in 500 ms: upload timed out']);
  });
});

describe('StreamPublisher failures', () => {
  const isChunk = (payload: Payload, seq: number): boolean =>
    payload.kind === 'stream.chunk' && payload.body.seq === seq;

  it('retries sends that fail with NetworkError; the end still follows every chunk', async () => {
    const { sharer, viewer } = await twoPeers();
    let failures = 0;
    sharer.sendFault = (payload) =>
      isChunk(payload, 1) && failures++ < 2 ? new NetworkError('429 Too Many Requests') : undefined;
    const publisher = publisherOn(sharer, { window: 1, log: () => undefined });
    const parts = ['one ', 'two ', 'three ', 'four'].map(utf8);
    for (const part of parts) {
      publisher.output(part);
      publisher.cutAll();
    }
    await publisher.end(0, undefined, 10_000);

    assert.equal(publisher.stats.retries, 2);
    const back = await readBack(viewer, WS, ID);
    assertInOrder(back);
    assert.deepEqual(back.output, concat(parts));
    assert.equal(endOf(back).seq, 4);
    assert.equal(sharer.sent.length, 5, 'four chunks and the end, each delivered once');
  });

  it('stops at a UsageError: end() rejects with it and nothing after is sent', async () => {
    const { sharer, viewer } = await twoPeers();
    const refusal = new UsageError('payload refused by the server');
    sharer.sendFault = (payload) => (isChunk(payload, 1) ? refusal : undefined);
    const publisher = publisherOn(sharer, { window: 1 });
    for (const part of ['a', 'b', 'c'].map(utf8)) {
      publisher.output(part);
      publisher.cutAll();
    }
    await assert.rejects(publisher.end(0, undefined, 10_000), refusal);
    assert.equal(publisher.stats.retries, 0);
    const back = await readBack(viewer, WS, ID);
    assert.deepEqual(
      back.events.map((e) => e.type),
      ['chunk'],
      'only the chunk before the refusal reached the network',
    );
    await assert.rejects(publisher.flushed(1_000), refusal);
  });

  it('stops at a UsageError from an upload, too', async () => {
    const { sharer } = await twoPeers();
    sharer.putBlobFault = () => new UsageError('blob too large for this server');
    const publisher = publisherOn(sharer);
    publisher.output(pseudoBytes(100 * KiB));
    await assert.rejects(publisher.end(0, undefined, 10_000), /blob too large for this server/);
    assert.equal(sharer.putBlobAttempts, 1);
  });

  it('end() gives up after its timeout, saying how much was not delivered', async () => {
    const { sharer } = await twoPeers();
    sharer.stallSends = true;
    const publisher = publisherOn(sharer, { window: 1 });
    publisher.output(utf8('stuck'));
    await assert.rejects(
      publisher.end(0, undefined, 30),
      (error: unknown) =>
        error instanceof NetworkError &&
        /^2 stream events were not delivered within \d+ s$/.test(error.message),
    );
  });
});

describe('StreamPublisher back-pressure', () => {
  it('pauses the producer past highWater and resumes it once drained under lowWater', async () => {
    const { sharer, viewer } = await twoPeers();
    sharer.sendDelayMs = 5;
    let written = 0;
    const drained = Promise.withResolvers<undefined>();
    const calls: { paused: boolean; waiting: number; sentChunks: number }[] = [];
    const publisher: StreamPublisher = publisherOn(sharer, {
      window: 1,
      maxInline: 4 * KiB,
      blobThreshold: 16 * KiB,
      maxBlob: 16 * KiB,
      highWater: 64 * KiB,
      lowWater: 16 * KiB,
      onPressure: (paused) => {
        calls.push({
          paused,
          waiting: written - publisher.stats.bytes,
          sentChunks: sharer.sent.length,
        });
        if (!paused) drained.resolve(undefined);
      },
    });
    const data = pseudoBytes(100 * KiB, 9);
    for (let at = 0; at < data.byteLength; at += 4 * KiB) {
      const piece = data.subarray(at, at + 4 * KiB);
      written += piece.byteLength;
      publisher.output(piece);
    }
    assert.equal(calls.length, 1, 'paused as soon as highWater bytes waited');
    assert.deepEqual(calls[0], { paused: true, waiting: 64 * KiB, sentChunks: 0 });

    await drained.promise;
    assert.equal(calls.length, 2);
    const resumed = calls[1];
    assert.equal(resumed?.paused, false);
    assert.ok(
      (resumed?.waiting ?? Infinity) <= 16 * KiB,
      `${String(resumed?.waiting)} bytes waited`,
    );
    assert.ok((resumed?.sentChunks ?? 0) >= 3, 'resumed only after sends made room');

    // Writes that stay under highWater do not pause it again.
    publisher.output(pseudoBytes(32 * KiB));
    await publisher.end(0, undefined, 10_000);
    assert.equal(calls.length, 2);
    assert.equal((await readBack(viewer, WS, ID)).output.byteLength, 132 * KiB);
  });
});

describe('StreamPublisher end', () => {
  it('carries the exit code, the byte count and the sha256 of all output', async () => {
    const { sharer, viewer } = await twoPeers();
    const publisher = publisherOn(sharer);
    const data = pseudoBytes(70 * KiB, 11);
    await writeInTurns(publisher, data, 1000);
    await publisher.end(3, undefined, 10_000);

    const end = endOf(await readBack(viewer, WS, ID));
    assert.equal(end.exitCode, 3);
    assert.equal(end.signal, undefined);
    assert.equal(end.bytes, data.byteLength);
    assert.equal(end.sha256, sha256(data));
    assert.equal(publisher.digest(), sha256(data));
    assert.equal(publisher.stats.bytes, data.byteLength);
  });

  it('carries the signal of a program a signal ended, and the hash of no output', async () => {
    const { sharer, viewer } = await twoPeers();
    const publisher = publisherOn(sharer);
    await publisher.end(null, 'SIGTERM', 10_000);
    const end = endOf(await readBack(viewer, WS, ID));
    assert.deepEqual(
      { ...end, t: 0 },
      {
        type: 'end',
        stream: ID,
        seq: 0,
        t: 0,
        exitCode: null,
        signal: 'SIGTERM',
        bytes: 0,
        sha256: sha256(new Uint8Array()),
      },
    );
  });

  it('numbers a resize between the output before and after it, and ignores output after the end', async () => {
    const { sharer, viewer } = await twoPeers();
    const publisher = publisherOn(sharer, { startedAt: 1000, now: () => 1250 });
    publisher.publish({
      type: 'start',
      stream: ID,
      command: ['sh'],
      title: 't',
      cols: 80,
      rows: 24,
      term: 'xterm',
      mode: 'pty',
      startedAt: 1000,
      input: [],
    });
    publisher.output(utf8('before'));
    publisher.resize(100, 30);
    publisher.output(utf8('after'));
    await publisher.end(0, undefined, 10_000);
    publisher.output(utf8('too late'));

    const back = await readBack(viewer, WS, ID);
    const summary = back.events.map((e: StreamEvent) =>
      e.type === 'chunk' && 'data' in e
        ? `${String(e.seq)} chunk ${Buffer.from(e.data).toString()} @${String(e.t)}`
        : 'seq' in e
          ? `${String(e.seq)} ${e.type} @${String(e.t)}`
          : e.type,
    );
    assert.deepEqual(summary, [
      'start',
      '0 chunk before @250',
      '1 resize @250',
      '2 chunk after @250',
      '3 end @250',
    ]);
    assert.equal(endOf(back).bytes, 'beforeafter'.length);
    assert.equal(eventOf(sharer.sent.at(-1) as Payload).type, 'end');
  });
});
