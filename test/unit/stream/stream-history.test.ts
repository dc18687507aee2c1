import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeStreamEvent, type StreamStart } from '../../../src/stream/protocol.ts';
import { StreamHistory, scanStreams } from '../../../src/stream/stream-history.ts';
import type { FakeTransport } from '../../../src/transport/fake.ts';
import type { Payload } from '../../../src/transport/transport.ts';
import { WS, twoPeers, utf8 } from './stream-fixtures.ts';

const start = (stream: string, startedAt: number): StreamStart => ({
  type: 'start',
  stream,
  command: ['sh'],
  title: stream,
  cols: 80,
  rows: 24,
  term: 'xterm',
  mode: 'pipe',
  startedAt,
  input: [],
});

const chunk = (stream: string, seq: number): Payload =>
  encodeStreamEvent({ type: 'chunk', stream, seq, t: seq, size: 1, data: utf8('x') });

async function send(peer: FakeTransport, payload: Payload): Promise<void> {
  await peer.send(WS, { type: 'payload', payload });
}

describe('StreamHistory', () => {
  it('reads one stream back a page at a time, newest first', async () => {
    const { alice, bob } = await twoPeers();
    await send(alice, encodeStreamEvent(start('mine-0001', 1)));
    for (let seq = 0; seq < 150; seq++) {
      await send(alice, chunk('mine-0001', seq));
      if (seq % 10 === 0) await send(bob, chunk('other-0001', seq));
    }
    await bob.send(WS, { type: 'text', text: 'hello' });

    const history = new StreamHistory(bob, WS, 'mine-0001');
    const signal = new AbortController().signal;
    const first = await history.readPage(signal);
    assert.equal(history.exhausted, false);
    assert.ok(first.every((e) => e.stream === 'mine-0001'));
    assert.equal(first[0]?.type === 'chunk' && first[0].seq, 149, 'newest first');
    const firstOldest = history.oldestSeq;
    assert.ok(firstOldest > 0 && firstOldest < 149);

    const rest = [];
    while (!history.exhausted) rest.push(...(await history.readPage(signal)));
    assert.equal(history.oldestSeq, 0, 'the start counts as the beginning');
    assert.equal(rest.at(-1)?.type, 'start');
    assert.equal(first.length + rest.length, 151);
    assert.deepEqual(await history.readPage(signal), []);

    history.restart();
    assert.equal(history.exhausted, false);
    assert.equal(history.oldestSeq, Number.MAX_SAFE_INTEGER);
    assert.equal((await history.readPage(signal)).length, first.length);
  });
});

describe('scanStreams', () => {
  it('finds the streams of a conversation, newest start first, with their ends', async () => {
    const { alice, bob } = await twoPeers();
    await send(alice, encodeStreamEvent(start('first-001', 1_000)));
    await send(bob, encodeStreamEvent(start('second-01', 2_000)));
    await send(alice, {
      kind: 'stream.start',
      version: 1,
      body: { stream: 'broken-01', cols: 0 },
    });
    for (let seq = 0; seq < 120; seq++) await send(alice, chunk('first-001', seq));
    const end = {
      type: 'end' as const,
      stream: 'first-001',
      seq: 120,
      t: 5,
      exitCode: 0,
      bytes: 120,
      sha256: 'e'.repeat(64),
    };
    await send(alice, encodeStreamEvent(end));

    const found = await scanStreams(bob, WS, new AbortController().signal);
    assert.deepEqual(found, [
      { start: start('second-01', 2_000), from: 'fake:bob' },
      { start: start('first-001', 1_000), from: 'fake:alice', end },
    ]);
  });

  it('looks no further back than maxPages', async () => {
    const { alice, bob } = await twoPeers();
    await send(alice, encodeStreamEvent(start('ancient-1', 1)));
    for (let seq = 0; seq < 150; seq++) await send(alice, chunk('ancient-1', seq));
    assert.deepEqual(await scanStreams(bob, WS, new AbortController().signal, 1), []);
    assert.equal((await scanStreams(bob, WS, new AbortController().signal, 2)).length, 1);
  });
});
