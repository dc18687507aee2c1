import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  STALE_MS,
  STREAM_STATE,
  listStreams,
  putStreamRecord,
  type StreamRecord,
} from '../../../src/stream/registry.ts';
import { twoPeers } from './stream-fixtures.ts';

const NOW = 1_700_000_000_000;

const record = (stream: string, fields: Partial<StreamRecord>): StreamRecord => ({
  stream,
  title: `title of ${stream}`,
  command: ['sh', '-c', 'make'],
  sharer: 'fake:alice',
  startedAt: NOW - 60_000,
  updatedAt: NOW - 1_000,
  status: 'live',
  ...fields,
});

describe('stream registry', () => {
  it('lists what sharers recorded, newest first, judging liveness now', async () => {
    const { alice, bob } = await twoPeers();
    await putStreamRecord(alice, '#ws', record('aaaa00000001', { startedAt: NOW - 3_000 }));
    await putStreamRecord(
      alice,
      '#ws',
      record('aaaa00000002', {
        startedAt: NOW - 2_000,
        status: 'ended',
        exitCode: null,
        bytes: 42,
      }),
    );
    await putStreamRecord(
      bob,
      '#ws',
      record('aaaa00000003', { startedAt: NOW - 1_000, updatedAt: NOW - STALE_MS - 1 }),
    );

    const listed = await listStreams(bob, '#ws', NOW);
    assert.deepEqual(
      listed.map((s) => [s.stream, s.state]),
      [
        ['aaaa00000003', 'lost'],
        ['aaaa00000002', 'ended'],
        ['aaaa00000001', 'live'],
      ],
    );
    assert.deepEqual(listed[1], {
      ...record('aaaa00000002', {
        startedAt: NOW - 2_000,
        status: 'ended',
        exitCode: null,
        bytes: 42,
      }),
      state: 'ended',
    });
  });

  it('replaces the entry of a stream when it is written again', async () => {
    const { alice } = await twoPeers();
    await putStreamRecord(alice, '#ws', record('bbbb00000001', {}));
    await putStreamRecord(alice, '#ws', record('bbbb00000001', { status: 'ended', exitCode: 2 }));
    const listed = await listStreams(alice, '#ws', NOW);
    assert.deepEqual(
      listed.map((s) => [s.stream, s.state, s.exitCode]),
      [['bbbb00000001', 'ended', 2]],
    );
  });

  it('skips malformed entries', async () => {
    const { alice } = await twoPeers();
    const valid = {
      stream: 'cccc00000001',
      title: 't',
      command: ['sh'],
      sharer: 'fake:alice',
      started_at: NOW,
      updated_at: NOW,
      status: 'live',
    };
    await alice.putState('#ws', STREAM_STATE, 'ok', valid);
    const broken = [
      { ...valid, stream: 'NOT AN ID' },
      { ...valid, command: 'sh' },
      { ...valid, status: 'paused' },
      { ...valid, started_at: '2024' },
      { ...valid, sharer: null },
    ];
    for (const [i, content] of broken.entries())
      await alice.putState('#ws', STREAM_STATE, `broken${String(i)}`, content);
    const listed = await listStreams(alice, '#ws', NOW);
    assert.deepEqual(
      listed.map((s) => s.stream),
      ['cccc00000001'],
    );
  });
});
