import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeStreamEvent } from '../../../src/stream/protocol.ts';
import { StreamPublisher } from '../../../src/stream/publisher.ts';
import type { Payload } from '../../../src/transport/transport.ts';
import {
  ID,
  START,
  outputSeqs,
  share,
  sharerOf,
  verifiedOf,
  watch,
  type Step,
} from './follow-fixtures.ts';
import { WS, concat, pseudoBytes, sha256, twoPeers, utf8 } from './stream-fixtures.ts';

describe('followStream from the start', () => {
  it('renders a finished stream from history byte for byte, verified', async () => {
    const { sharer, viewer } = await twoPeers();
    // More events than a history page holds, a resize among them.
    const steps: Step[] = Array.from({ length: 150 }, (_, i) => `line ${String(i)}\r\n`);
    steps.splice(60, 0, { resize: [120, 40] });
    const published = await share(sharer, steps);

    const w = watch(viewer, { kind: 'start' });
    const end = await w.finished();
    assert.equal(end?.seq, 151);
    assert.deepEqual(w.output(), published.all);
    assert.equal(verifiedOf(w), true);
    const types = w.types();
    assert.deepEqual(types.slice(0, 3), ['start', 'ready', 'output 0']);
    const resize = types.indexOf('resize');
    assert.deepEqual(types.slice(resize - 1, resize + 2), ['output 59', 'resize', 'output 61']);
    assert.deepEqual(
      w.events.find((e) => e.type === 'resize'),
      {
        type: 'resize',
        seq: 60,
        cols: 120,
        rows: 40,
      },
    );
    assert.deepEqual(w.logs, []);
  });

  it('renders a live stream as it is published, verified', async () => {
    const { sharer, viewer } = await twoPeers();
    const w = watch(viewer, { kind: 'start' });
    await w.ready;
    const published = await share(sharer, ['$ make\r\n', pseudoBytes(40_000), 'done\r\n']);
    await w.finished();
    assert.deepEqual(w.output(), published.all);
    assert.equal(verifiedOf(w), true);
  });

  it('says when the output does not match the sha256 of the end', async () => {
    const { alice, viewer } = await twoPeers();
    const send = (payload: Payload) => alice.send(WS, { type: 'payload', payload });
    await send(encodeStreamEvent(START));
    await send(
      encodeStreamEvent({ type: 'chunk', stream: ID, seq: 0, t: 0, size: 2, data: utf8('hi') }),
    );
    await send(
      encodeStreamEvent({
        type: 'end',
        stream: ID,
        seq: 1,
        t: 0,
        exitCode: 0,
        bytes: 2,
        sha256: sha256(utf8('ho')),
      }),
    );
    const w = watch(viewer, { kind: 'start' });
    await w.finished();
    assert.equal(verifiedOf(w), false);
  });
});

describe('followStream resuming', () => {
  it('renders exactly the output from the resume point on', async () => {
    const { sharer, viewer } = await twoPeers();
    const published = await share(sharer, ['zero ', 'one ', 'two ', 'three ', 'four ', 'five']);
    const w = watch(viewer, { kind: 'resume', seq: 3 });
    await w.finished();
    assert.deepEqual(
      w.events.find((e) => e.type === 'ready'),
      { type: 'ready', seq: 3 },
    );
    assert.deepEqual(outputSeqs(w), [3, 4, 5]);
    assert.deepEqual(w.output(), utf8('three four five'));
    assert.deepEqual(w.output(), published.after(3));
    // Only part of the output was seen: nothing to check the sha256 against.
    assert.equal(verifiedOf(w), undefined);
  });

  it('ends at once when resumed past the end of a finished stream', async () => {
    const { sharer, viewer } = await twoPeers();
    await share(sharer, ['a', 'b']);
    const w = watch(viewer, { kind: 'resume', seq: 3 });
    const end = await w.finished();
    assert.equal(end?.seq, 2);
    assert.deepEqual(outputSeqs(w), []);
  });
});

describe('followStream screen mode', () => {
  it('renders the newest snapshot, then only the output after it', async () => {
    const { sharer, viewer, alice } = await twoPeers();
    const published = await share(sharer, [
      'old ',
      { snapshot: utf8('\x1bcFIRST') },
      'older ',
      { snapshot: utf8('\x1bcSECOND') },
      'new ',
      'newer',
    ]);
    const watches: Payload[] = [];
    alice.subscribe((event) => {
      if (event.type === 'payload') watches.push(event.payload);
    });
    const w = watch(viewer, { kind: 'screen' });
    await w.finished();
    assert.deepEqual(w.events[0], {
      type: 'screen',
      seq: 2,
      cols: 80,
      rows: 24,
      replay: utf8('\x1bcSECOND'),
    });
    assert.deepEqual(w.types().slice(1), ['start', 'ready', 'output 2', 'output 3', 'end']);
    assert.deepEqual(w.output(), published.after(2));
    assert.equal(verifiedOf(w), undefined);
    // It asked the sharer for a fresh screen, in case history could not be read.
    assert.deepEqual(watches, [{ kind: 'stream.watch', version: 1, body: { stream: ID } }]);
  });

  it('renders a snapshot kept in a blob before the output after it', async () => {
    const { sharer, viewer } = await twoPeers();
    const screen = concat([utf8('\x1bc'), pseudoBytes(60_000, 2)]);
    const published = await share(sharer, ['before ', { snapshot: screen }, 'after']);
    const w = watch(viewer, { kind: 'screen' });
    await w.finished();
    const shown = w.events.find((e) => e.type === 'screen');
    assert.ok(shown?.type === 'screen');
    assert.deepEqual(shown.replay, screen);
    assert.ok(w.types().indexOf('screen') < w.types().indexOf('output 1'));
    assert.deepEqual(w.output(), published.after(1));
  });

  it('for a late joiner that cannot read history, waits for the snapshot it asked for', async () => {
    const { sharer, viewer, alice } = await twoPeers();
    viewer.hideFromHistory = () => true;
    const live = sharerOf(sharer);
    live.step('hidden from the viewer ');
    await live.publisher.flushed(1_000);
    alice.subscribe((event) => {
      if (event.type !== 'payload' || event.payload.kind !== 'stream.watch') return;
      live.step({ snapshot: utf8('\x1bcNOW') });
      live.step('later');
    });
    const w = watch(viewer, { kind: 'screen' }, { snapshotWaitMs: 5_000 });
    await w.ready;
    await live.end();
    await w.finished();
    assert.deepEqual(w.types(), ['screen', 'ready', 'output 1', 'end']);
    assert.deepEqual(w.events[0]?.type === 'screen' && w.events[0].replay, utf8('\x1bcNOW'));
    assert.deepEqual(w.output(), utf8('later'));
  });
});

describe('followStream robustness', () => {
  it('logs a malformed payload in the conversation and goes on', async () => {
    const { sharer, viewer, alice } = await twoPeers();
    const w = watch(viewer, { kind: 'start' });
    await w.ready;
    const live = sharerOf(sharer);
    live.step('one ');
    const send = (payload: Payload) => alice.send(WS, { type: 'payload', payload });
    await send({
      kind: 'stream.chunk',
      version: 1,
      body: { stream: ID, seq: -1, t: 0, size: 1, data: 'YQ==' },
    });
    await send({ kind: 'stream.chunk', version: 2, body: { stream: ID } });
    await send({ kind: 'task.request', version: 1, body: { stream: ID } });
    await alice.send(WS, { type: 'text', text: 'hello' });
    live.step('two');
    const published = await live.end();
    await w.finished();
    assert.deepEqual(w.output(), published.all);
    assert.equal(verifiedOf(w), true);
    assert.deepEqual(w.logs, [
      'warn: dropped a stream payload from fake:alice: malformed stream.chunk: expected seq to be a non-negative integer, got -1',
      'warn: dropped a stream payload from fake:alice: stream.chunk version 2 is not supported (expected 1)',
    ]);
  });

  it('skips a malformed payload in history', async () => {
    const { sharer, viewer, alice } = await twoPeers();
    const live = sharerOf(sharer);
    live.step('one ');
    await alice.send(WS, {
      type: 'payload',
      payload: {
        kind: 'stream.resize',
        version: 1,
        body: { stream: ID, seq: 1, t: 0, cols: 0, rows: 24 },
      },
    });
    live.step('two');
    const published = await live.end();
    const w = watch(viewer, { kind: 'start' });
    await w.finished();
    assert.deepEqual(w.output(), published.all);
    assert.equal(verifiedOf(w), true);
  });

  it('ignores other streams in the same conversation', async () => {
    const { sharer, viewer, alice } = await twoPeers();
    const w = watch(viewer, { kind: 'start' });
    await w.ready;
    const other = new StreamPublisher({
      transport: alice,
      target: WS,
      stream: 'other-stream',
      startedAt: 0,
    });
    other.output(utf8('not this one'));
    const published = await share(sharer, ['this one']);
    await other.end(0, undefined, 10_000);
    await w.finished();
    assert.deepEqual(w.output(), published.all);
  });

  it('resolves with nothing when aborted before the end', async () => {
    const { sharer, viewer } = await twoPeers();
    const live = sharerOf(sharer);
    live.step('still running');
    const w = watch(viewer, { kind: 'start' });
    await w.ready;
    w.abort();
    assert.equal(await w.finished(), undefined);
    await live.end();
  });
});
