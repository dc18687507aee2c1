import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MatrixEvent, type Room } from 'matrix-js-sdk';
import { decodeTimelineEvent, Inbound } from '../../../../src/transport/matrix/inbound.ts';
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

test('an event is recorded as delivered only after the listeners had it, and once', () => {
  const calls: string[] = [];
  const recorded = new Set<string>();
  const inbound = new Inbound({
    userId: '@bot:x.org',
    floor: () => 0,
    delivered: (id) => recorded.has(id),
    record: (id) => {
      calls.push(`record ${id}`);
      recorded.add(id);
    },
    encrypted: () => false,
    directPeer: () => '@m:x.org',
    nameOf: (roomId) => roomId,
    onlineSince: () => 0,
    emit: (e) => calls.push(`emit ${e.type}`),
  });
  const room = { roomId: '!r:x.org' } as unknown as Room;
  const text = event('m.room.message', { msgtype: 'm.text', body: 'hi' });
  inbound.enqueue(text, room);
  // A process killed between the two delivers the event again after a restart (its sync
  // token is older); recorded first, the event would have been lost.
  assert.deepEqual(calls, ['emit text', 'record $e1']);
  inbound.enqueue(text, room);
  assert.deepEqual(calls, ['emit text', 'record $e1']);
});
