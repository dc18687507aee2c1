import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MatrixEvent } from 'matrix-js-sdk';
import { decodeTimelineEvent } from '../../../../src/transport/matrix/inbound.ts';
import { assertHistoryQuery } from '../../../../src/transport/matrix/history.ts';

const event = (type: string, content: Record<string, unknown>): MatrixEvent =>
  new MatrixEvent({ type, content, event_id: '$e1', sender: '@m:x.org', room_id: '!r:x.org' });

test('live delivery and history share one rule: our content in plaintext in an encrypted room is rejected', () => {
  const text = event('m.room.message', { msgtype: 'm.text', body: 'hi' });
  assert.deepEqual(decodeTimelineEvent(text, true, '#team:x.org'), {
    type: 'rejected',
    reason: 'dropped plaintext event $e1 from @m:x.org in the encrypted room #team:x.org',
  });
  assert.deepEqual(decodeTimelineEvent(text, false, '#team:x.org'), { type: 'text', text: 'hi' });
  const payload = event('org.mxagent.test.echo', { version: 1, body: {} });
  assert.equal(decodeTimelineEvent(payload, true, '#team:x.org')?.type, 'rejected');
  // Events that are not ours stay out of the way, encrypted room or not.
  assert.equal(decodeTimelineEvent(event('m.reaction', {}), true, '#team:x.org'), undefined);
});

test('history queries: a positive whole limit and a non-empty cursor', () => {
  assertHistoryQuery({});
  assertHistoryQuery({ limit: 1, before: 's42' });
  assert.throws(() => {
    assertHistoryQuery({ limit: 2.5 });
  }, /^UsageError: expected a history limit of 1 or more, got 2.5$/);
  assert.throws(() => {
    assertHistoryQuery({ before: '' });
  }, /^UsageError: expected a history cursor, got an empty string$/);
});
