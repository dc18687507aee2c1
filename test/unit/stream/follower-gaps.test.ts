import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetworkError } from '../../../src/errors.ts';
import { outputSeqs, share, sharerOf, verifiedOf, watch } from './follow-fixtures.ts';
import { concat, seqOf, twoPeers, utf8 } from './stream-fixtures.ts';

describe('followStream holes and duplicates', () => {
  it('fills events live traffic lost from history, within gapWaitMs', async () => {
    const { sharer, viewer } = await twoPeers();
    viewer.dropLive = (message) => [2, 3].includes(seqOf(message) ?? -1);
    const w = watch(viewer, { kind: 'start' }, { gapWaitMs: 20 });
    await w.ready;
    const published = await share(sharer, ['0 ', '1 ', '2 ', '3 ', '4 ', '5']);
    await w.finished();
    assert.deepEqual(outputSeqs(w), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(w.output(), published.all);
    assert.equal(verifiedOf(w), true);
    assert.ok(!w.types().includes('gap'));
  });

  it('fills a hole from history while live traffic keeps coming faster than gapWaitMs', async () => {
    const { sharer, viewer } = await twoPeers();
    viewer.dropLive = (message) => seqOf(message) === 2;
    const w = watch(viewer, { kind: 'start' }, { gapWaitMs: 50 });
    await w.ready;
    const live = sharerOf(sharer);
    // An event every 10 ms for 400 ms: the hole must not wait for the traffic to pause.
    for (let i = 0; i < 40; i++) {
      live.step(`${String(i)} `);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(
      outputSeqs(w).includes(30),
      `rendered while the stream ran: ${JSON.stringify(outputSeqs(w))}`,
    );
    const published = await live.end();
    await w.finished();
    assert.deepEqual(w.output(), published.all);
    assert.equal(verifiedOf(w), true);
  });

  it('skips, and says so, what neither live traffic nor history has', async () => {
    const { sharer, viewer } = await twoPeers();
    viewer.dropLive = (message) => seqOf(message) === 2;
    viewer.hideFromHistory = (message) => seqOf(message) === 2;
    const w = watch(viewer, { kind: 'start' }, { gapWaitMs: 20, gapPatienceMs: 200 });
    await w.ready;
    const published = await share(sharer, ['0 ', '1 ', '2 ', '3 ', '4']);
    await w.finished();
    assert.deepEqual(outputSeqs(w), [0, 1, 3, 4]);
    assert.deepEqual(
      w.events.find((e) => e.type === 'gap'),
      { type: 'gap', from: 2, to: 2 },
    );
    assert.deepEqual(w.output(), concat([published.after(0).subarray(0, 4), utf8('3 4')]));
    assert.equal(verifiedOf(w), undefined);
    assert.deepEqual(w.logs, [
      'warn: events 2 to 2 of the stream could not be read; skipping them',
    ]);
  });

  it('skips at once a hole history says it cannot decrypt, without waiting out its patience', async () => {
    const { sharer, viewer } = await twoPeers();
    viewer.dropLive = (message) => seqOf(message) === 1;
    viewer.hideFromHistory = (message) => seqOf(message) === 1;
    viewer.undecryptableInHistory = true;
    const w = watch(viewer, { kind: 'start' }, { gapWaitMs: 20, gapPatienceMs: 60_000 });
    await w.ready;
    await share(sharer, ['0 ', '1 ', '2']);
    await w.finished();
    assert.deepEqual(outputSeqs(w), [0, 2]);
    assert.match(w.logs.join('\n'), /events 1 to 1 .*holds no key for them/);
  });

  it('from a new stream reads no history; told to finish, renders what came past the holes', async () => {
    const { sharer, viewer } = await twoPeers();
    // Before the follower: history a new stream must not read.
    await share(sharer, ['old ']);
    viewer.dropLive = (message) => [1, 3].includes(seqOf(message) ?? -1);
    viewer.hideFromHistory = (message) => [1, 3].includes(seqOf(message) ?? -1);
    const finish = new AbortController();
    const w = watch(viewer, { kind: 'new' }, { finish: finish.signal, gapWaitMs: 60_000 });
    await w.ready;
    await share(sharer, ['0 ', '1 ', '2 ', '3 ', '4']);
    finish.abort();
    assert.equal((await w.finished())?.seq, 5);
    assert.deepEqual(outputSeqs(w), [0, 2, 4]);
    assert.equal(verifiedOf(w), undefined);
    assert.deepEqual(w.output(), utf8('0 2 4'));
    assert.deepEqual(
      w.events.filter((e) => e.type === 'gap'),
      [
        { type: 'gap', from: 1, to: 1 },
        { type: 'gap', from: 3, to: 3 },
      ],
    );
  });

  it('renders an event sent twice once, live', async () => {
    const { sharer, viewer } = await twoPeers();
    sharer.repeat = (payload) => payload.kind !== 'stream.start';
    const w = watch(viewer, { kind: 'start' });
    await w.ready;
    const published = await share(sharer, ['a', 'b', { resize: [90, 30] }, 'c']);
    await w.finished();
    assert.deepEqual(w.types(), ['ready', 'output 0', 'output 1', 'resize', 'output 3', 'end']);
    assert.deepEqual(w.output(), published.all);
    assert.equal(verifiedOf(w), true);
  });

  it('renders an event sent twice once, from history', async () => {
    const { sharer, viewer } = await twoPeers();
    sharer.repeat = () => true;
    const published = await share(sharer, ['a', 'b', 'c']);
    const w = watch(viewer, { kind: 'start' });
    await w.finished();
    assert.deepEqual(w.types(), ['start', 'ready', 'output 0', 'output 1', 'output 2', 'end']);
    assert.deepEqual(w.output(), published.all);
    assert.equal(verifiedOf(w), true);
  });

  it('puts events back in order when a retried send arrives after later ones', async () => {
    const { sharer, viewer } = await twoPeers();
    let failed = false;
    sharer.sendFault = (payload) => {
      if (payload.kind !== 'stream.chunk' || payload.body.seq !== 0 || failed) return undefined;
      failed = true;
      return new NetworkError('timed out');
    };
    // Looking into history after 20 ms finds nothing yet: the viewer keeps looking, it does
    // not skip the event the retry delivers half a second later.
    const w = watch(viewer, { kind: 'start' }, { gapWaitMs: 20 });
    await w.ready;
    const published = await share(sharer, ['first ', 'second ', 'third'], { log: () => undefined });
    await w.finished();
    assert.ok(failed);
    assert.deepEqual(outputSeqs(w), [0, 1, 2]);
    assert.deepEqual(w.output(), published.all);
    assert.equal(verifiedOf(w), true);
  });

  it('renders every event of a batch delivered in one go (a Matrix sync), each once', async () => {
    const { sharer, viewer } = await twoPeers();
    viewer.batchLive = true;
    sharer.repeat = () => true;
    const w = watch(viewer, { kind: 'start' });
    await w.ready;
    const published = await share(sharer, ['a', 'b', 'c', 'd']);
    await w.finished();
    assert.deepEqual(w.types(), ['ready', 'output 0', 'output 1', 'output 2', 'output 3', 'end']);
    assert.deepEqual(w.output(), published.all);
    assert.equal(verifiedOf(w), true);
  });
});
