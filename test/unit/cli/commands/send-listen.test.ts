import assert from 'node:assert/strict';
import { test } from 'node:test';
import { receive } from '../../../../src/cli/commands/listen-action.ts';
import { formatEvent } from '../../../../src/cli/commands/listen-format.ts';
import { payloadContent, sendOnce } from '../../../../src/cli/commands/send-action.ts';
import { UsageError } from '../../../../src/errors.ts';
import { FakeNetwork } from '../../../../src/transport/fake.ts';
import type { TransportEvent } from '../../../../src/transport/transport.ts';

async function pair() {
  const net = new FakeNetwork();
  const alice = net.transport('alice');
  const bob = net.transport('bob');
  await alice.connect();
  await bob.connect();
  return { alice, bob };
}

test('listen receives until --count, and send reaches a peer directly', async () => {
  const { alice, bob } = await pair();
  const events: TransportEvent[] = [];
  let readyAs = '';
  const listening = receive(
    bob,
    { workspaces: [], count: 2, signal: new AbortController().signal },
    (e) => events.push(e),
    (where) => {
      readyAs = where;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(readyAs, 'fake:bob');
  const first = await sendOnce(alice, 'fake:bob', { type: 'text', text: 'one' });
  assert.deepEqual([first.to, first.target], ['fake:bob', 'direct']);
  await sendOnce(alice, 'fake:bob', payloadContent('test.echo', '2', '{"n":1}'));
  assert.deepEqual(await listening, { reason: 'count', received: 2 });
  const messages = events.filter((e) => e.type === 'text' || e.type === 'payload');
  assert.equal(messages[0]?.id, first.id);
  assert.deepEqual(
    messages.map((m) => (m.type === 'text' ? m.text : m.payload)),
    ['one', { kind: 'test.echo', version: 2, body: { n: 1 } }],
  );
});

test('send to a workspace joins it for the send and leaves afterwards', async () => {
  const { alice, bob } = await pair();
  const events: TransportEvent[] = [];
  const stop = new AbortController();
  const listening = receive(
    bob,
    { workspaces: ['#team'], signal: stop.signal },
    (e) => events.push(e),
    () => undefined,
  );
  await new Promise((resolve) => setImmediate(resolve));
  const sent = await sendOnce(alice, '#team', { type: 'text', text: 'hi team' });
  assert.deepEqual([sent.to, sent.target], ['#team', 'workspace']);
  assert.deepEqual(alice.joinedWorkspaces(), []);
  stop.abort();
  assert.deepEqual(await listening, { reason: 'interrupted', received: 1 });
  const text = events.find((e) => e.type === 'text');
  assert.deepEqual(text?.type === 'text' ? [text.text, text.target] : [], [
    'hi team',
    { kind: 'workspace', workspace: '#team' },
  ]);
});

test('listen stops at its timeout', async () => {
  const { bob } = await pair();
  const outcome = await receive(
    bob,
    { workspaces: [], timeoutMs: 20, signal: new AbortController().signal },
    () => undefined,
    () => undefined,
  );
  assert.deepEqual(outcome, { reason: 'timeout', received: 0 });
});

test('payload options are validated before anything is sent', () => {
  assert.throws(() => payloadContent('Test', '1', '{}'), {
    message: 'expected --payload to be a dotted lower-case kind like test.echo, got "Test"',
  });
  assert.throws(() => payloadContent('test.echo', '0', '{}'), {
    message: 'expected --payload-version to be a positive integer, got "0"',
  });
  assert.throws(() => payloadContent('test.echo', '1', '[1]'), {
    message: 'expected the payload body to be a JSON object, got "[1]"',
  });
  assert.throws(() => payloadContent('test.echo', '1', 'nope'), UsageError);
});

test('listen lines: time, room, sender, text or payload', () => {
  const at = new Date(2026, 10, 24, 12, 0, 1).getTime();
  const base = { id: 'x', timestamp: at, delayed: false } as const;
  assert.equal(
    formatEvent({
      ...base,
      type: 'text',
      from: 'alice@localhost/res',
      target: { kind: 'direct', address: 'alice@localhost/res' },
      text: 'hello',
    }),
    '[12:00:01] alice@localhost/res: hello',
  );
  assert.equal(
    formatEvent({
      ...base,
      delayed: true,
      type: 'text',
      from: 'room@conference.localhost/bob',
      target: { kind: 'workspace', workspace: 'room@conference.localhost' },
      text: 'hi',
    }),
    '[12:00:01] [room@conference.localhost] bob (delayed): hi',
  );
  assert.equal(
    formatEvent({
      ...base,
      type: 'payload',
      from: 'alice@localhost/res',
      target: { kind: 'direct', address: 'alice@localhost/res' },
      payload: { kind: 'test.echo', version: 1, body: { n: 1 } },
    }),
    '[12:00:01] payload test.echo v1 from alice@localhost/res: {"n":1}',
  );
  assert.match(
    formatEvent({
      type: 'presence',
      from: 'room@conference.localhost/bob',
      workspace: 'room@conference.localhost',
      availability: 'available',
    }),
    /^\[\d\d:\d\d:\d\d\] \[room@conference\.localhost\] bob is available$/,
  );
});
