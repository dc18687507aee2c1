import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BATCH_EVENT_TYPE,
  BATCH_MAX_ITEMS,
  batchFits,
  encodeBatch,
} from '../../../../src/transport/matrix/batch.ts';
import { decodeEvent } from '../../../../src/transport/matrix/codec.ts';
import { inboundMessages } from '../../../../src/transport/matrix/inbound.ts';

const payload = (i: number) => ({ kind: 'task.request', version: 1, body: { i, pad: 'x' } });

test('a batch event decodes to its payloads, in order, each delivered with its own id', () => {
  const payloads = [payload(0), payload(1), { kind: 'stream.chunk', version: 3, body: {} }];
  const content = encodeBatch(payloads);
  assert.deepEqual(content, { version: 1, payloads });
  const decoded = decodeEvent(BATCH_EVENT_TYPE, content);
  assert.deepEqual(decoded, { type: 'batch', payloads });
  if (decoded?.type !== 'batch') return;
  const common = {
    id: '$ev',
    from: '@a:x.org',
    target: { kind: 'direct', address: '@a:x.org' } as const,
    timestamp: 5,
    delayed: false,
  };
  assert.deepEqual(inboundMessages(decoded, common), [
    { ...common, id: '$ev#0', type: 'payload', payload: payloads[0] },
    { ...common, id: '$ev#1', type: 'payload', payload: payloads[1] },
    { ...common, id: '$ev#2', type: 'payload', payload: payloads[2] },
  ]);
});

test('no payload kind can be taken for a batch, and a batch never for a payload', () => {
  // `batch` is a valid payload kind: its event type is not the batch type.
  assert.deepEqual(decodeEvent('org.mxagent.batch', { version: 1, body: { payloads: [] } }), {
    type: 'payload',
    payload: { kind: 'batch', version: 1, body: { payloads: [] } },
  });
});

test('a malformed batch is rejected as a whole, saying what was wrong', () => {
  const reason = (content: Record<string, unknown>): string | undefined => {
    const decoded = decodeEvent(BATCH_EVENT_TYPE, content);
    return decoded?.type === 'rejected' ? decoded.reason : `not rejected: ${decoded?.type ?? ''}`;
  };
  const prefix = 'malformed org.mxagent._batch event: ';
  assert.equal(
    reason({ payloads: [payload(0)] }),
    `${prefix}expected batch version 1, got nothing`,
  );
  assert.equal(
    reason({ version: 1, payloads: 'nope' }),
    `${prefix}expected "payloads" to be a list of 1 to 32 payloads, got "nope"`,
  );
  assert.equal(
    reason({ version: 1, payloads: [] }),
    `${prefix}expected "payloads" to be a list of 1 to 32 payloads, got 0 items`,
  );
  const tooMany = Array.from({ length: BATCH_MAX_ITEMS + 1 }, (_, i) => payload(i));
  assert.match(reason({ version: 1, payloads: tooMany }) ?? '', /got 33 items$/);
  assert.equal(
    reason({ version: 1, payloads: [payload(0), 7] }),
    `${prefix}payloads[1]: expected a payload object, got 7`,
  );
  assert.equal(
    reason({ version: 1, payloads: [payload(0), { kind: 'Bad', version: 1, body: {} }] }),
    `${prefix}payloads[1]: expected a payload kind like "stream.chunk", got "Bad"`,
  );
  assert.match(
    reason({ version: 1, payloads: [{ kind: 'a.b', version: 1, body: [] }] }) ?? '',
    /payloads\[0\]: expected a payload body that is a JSON object, got a list \[\]$/,
  );
});

test('a batch holds at most 32 payloads and about 40 KiB, and always at least one', () => {
  assert.equal(batchFits(Array.from({ length: 50 }, () => 100)), 32);
  assert.equal(batchFits([21_000, 21_000, 21_000]), 1);
  assert.equal(batchFits([15_000, 15_000, 15_000]), 2);
  assert.equal(batchFits([60_000]), 1);
  assert.equal(batchFits([100, 60_000]), 1);
});
