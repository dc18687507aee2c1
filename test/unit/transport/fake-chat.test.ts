import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import { FakeNetwork } from '../../../src/transport/fake.ts';
import type { Target } from '../../../src/transport/transport.ts';
import { EventRecorder } from '../../support/event-recorder.ts';

async function pair() {
  const net = new FakeNetwork();
  const alice = net.transport('alice');
  const bob = net.transport('bob');
  await alice.connect();
  await bob.connect();
  return { net, alice, bob, toBob: { kind: 'direct', address: bob.address } as Target };
}

test('typing is recorded on the network until turned off or a message is sent', async () => {
  const { net, alice, toBob } = await pair();
  await alice.setTyping(toBob, true);
  assert.deepEqual(net.typing(alice.address), [toBob]);
  await alice.setTyping(toBob, false);
  assert.deepEqual(net.typing(alice.address), []);
  await alice.setTyping(toBob, true);
  await alice.send(toBob, { type: 'text', text: 'done typing' });
  assert.deepEqual(net.typing(alice.address), []);
  await assert.rejects(
    alice.setTyping({ kind: 'workspace', workspace: '#nowhere' }, true),
    /not joined/,
  );
});

test('an edit must name a message we sent to that conversation', async () => {
  const { alice, bob, toBob } = await pair();
  const theirs = await bob.send(
    { kind: 'direct', address: alice.address },
    { type: 'text', text: 'hi' },
  );
  await assert.rejects(
    alice.send(toBob, { type: 'text', text: 'edited', replaces: theirs.id }),
    (e: unknown) =>
      e instanceof UsageError && /expected the id of a message we sent/.test(e.message),
  );
  await assert.rejects(
    alice.send(toBob, { type: 'text', text: 'x', replaces: 'nope' }),
    UsageError,
  );
});

test('a reaction needs a message of the conversation and one emoji; each reports the whole set', async () => {
  const { alice, bob, toBob } = await pair();
  const events = new EventRecorder(bob);
  const sent = await bob.send(
    { kind: 'direct', address: alice.address },
    { type: 'text', text: 'hi' },
  );
  await assert.rejects(alice.react(toBob, 'unknown', '👍'), UsageError);
  await assert.rejects(alice.react(toBob, sent.id, ''), UsageError);
  await assert.rejects(alice.react(toBob, sent.id, 'two words'), UsageError);
  await alice.react(toBob, sent.id, '👍');
  await alice.react(toBob, sent.id, '🎉');
  await alice.react(toBob, sent.id, '👍');
  const reactions = events.events.flatMap((e) => (e.type === 'reaction' ? [e.emojis] : []));
  assert.deepEqual(reactions, [['👍'], ['👍', '🎉'], ['👍', '🎉']]);
});

test('attachments from a client reach the peer and its history', async () => {
  const { alice, bob, toBob } = await pair();
  const events = new EventRecorder(bob);
  const attachments = [{ url: 'https://up.example/f/cat.png', name: 'cat.png' }];
  const receipt = await alice.postAsClient(toBob, { text: 'a cat', attachments });
  const got = await events.waitFor((e) => e.type === 'text');
  assert.deepEqual(got.type === 'text' && got.attachments, attachments);
  assert.equal(got.id, receipt.id);
  const page = await bob.history({ kind: 'direct', address: alice.address });
  assert.deepEqual(page.messages[0]?.type === 'text' && page.messages[0].attachments, attachments);
});

test('reactions and confirmations wait while the receiver is away, like messages', async () => {
  const { net, alice, bob, toBob } = await pair();
  await bob.close();
  const sent = await alice.send(toBob, { type: 'text', text: 'later' });
  await alice.react(toBob, sent.id, '👀');
  await alice.postAsClient(toBob, { confirm: 'c9', decision: 'approve' });
  const again = net.transport('bob');
  const events = new EventRecorder(again);
  await again.connect();
  assert.deepEqual(
    events.events.map((e) => e.type),
    ['connection', 'text', 'reaction', 'confirmation'],
  );
});
