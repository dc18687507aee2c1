/**
 * The chat part of the transport contract: what the `serve` chat agent relies on. Edits arrive
 * with `replaces` naming the id the peer saw for the original, mentions and confirm requests
 * are carried, reactions name the message they are about, typing is best effort, and a
 * structured answer to a confirm request arrives as a confirmation event. Run against the fake
 * (bare and behind a session host), XMPP on Prosody and Matrix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  InboundMessage,
  Target,
  Transport,
  TransportEvent,
} from '../../src/transport/transport.ts';
import { EventRecorder } from '../support/event-recorder.ts';

/** What a network brings to the chat contract. */
export interface ChatHarness {
  /** A new, not yet connected transport for a fresh account. */
  newPeer(): Promise<Transport>;
  /** A workspace name nobody has used yet. */
  newWorkspace(): string;
  /**
   * Answer confirm request `confirm` to `to` structurally, as a person's client does (XMPP
   * `<confirmed>`), from an account of the harness's choosing; resolves with that account's
   * address as `to` will see it, or undefined when the network has no structured answer.
   */
  answerConfirm(
    to: string,
    confirm: string,
    decision: 'approve' | 'deny',
  ): Promise<string | undefined>;
  /** Whether a receiver sees the ConfirmRequest on the inbound text (default true). */
  readonly carriesConfirm?: boolean;
  /** Stop what the harness started; called once at the end. */
  dispose(): Promise<void>;
}

type Text = InboundMessage & { type: 'text' };
const isText = (e: TransportEvent): e is Text => e.type === 'text';
const textIs =
  (text: string) =>
  (e: TransportEvent): e is Text =>
    isText(e) && e.text === text;

/** Register the chat contract tests for one network. */
export function chatContract(name: string, makeHarness: () => Promise<ChatHarness>): void {
  describe(`chat contract: ${name}`, () => {
    let harness: ChatHarness;
    const open: Transport[] = [];
    const peer = async (): Promise<{ t: Transport; events: EventRecorder }> => {
      const t = await harness.newPeer();
      const events = new EventRecorder(t);
      await t.connect({ timeoutMs: 10_000 });
      open.push(t);
      return { t, events };
    };
    /** Two peers in a new workspace, each with the target to send there. */
    const inWorkspace = async () => {
      const a = await peer();
      const b = await peer();
      const workspace = harness.newWorkspace();
      await a.t.joinWorkspace(workspace);
      const infoB = await b.t.joinWorkspace(workspace);
      await a.events.waitFor((e) => e.type === 'presence' && e.from === infoB.self);
      const target: Target = { kind: 'workspace', workspace };
      return { a, b, target };
    };

    before(async () => {
      harness = await makeHarness();
    });
    after(async () => {
      await Promise.allSettled(open.map((t) => t.close()));
      await harness.dispose();
    });

    it('delivers an edit of a direct message with replaces = the id the peer saw', async () => {
      const a = await peer();
      const b = await peer();
      const toB: Target = { kind: 'direct', address: b.t.address };
      const original = await a.t.send(toB, { type: 'text', text: 'draft…' });
      const seen = await b.events.waitFor(textIs('draft…'));
      await a.t.send(toB, { type: 'text', text: 'final', replaces: original.id });
      const edit = await b.events.waitFor(textIs('final'));
      assert.equal(edit.replaces, seen.id);
      assert.equal(seen.replaces, undefined);
      assert.equal(edit.from, seen.from);
    });

    it('shows a direct message sent again with the same id once, and its edits apply to it', async () => {
      // What a serve agent restarted after a crash does when it answers a message again.
      const a = await peer();
      const b = await peer();
      const toB: Target = { kind: 'direct', address: b.t.address };
      const id = `reply-${String(Date.now())}`;
      await a.t.send(toB, { type: 'text', text: 'the answer …', id });
      const seen = await b.events.waitFor(textIs('the answer …'));
      const again = await a.t.send(toB, { type: 'text', text: 'the answer …', id });
      await a.t.send(toB, { type: 'text', text: 'the answer', replaces: again.id });
      const edit = await b.events.waitFor(textIs('the answer'));
      assert.equal(edit.replaces, seen.id);
      assert.equal(b.events.events.filter(textIs('the answer …')).length, 1);
    });

    it('delivers an edit in a workspace with replaces = the id the peer saw', async () => {
      const { a, b, target } = await inWorkspace();
      const original = await a.t.send(target, { type: 'text', text: 'room draft' });
      const seen = await b.events.waitFor(textIs('room draft'));
      await a.t.send(target, { type: 'text', text: 'room final', replaces: original.id });
      const edit = await b.events.waitFor(textIs('room final'));
      assert.equal(edit.replaces, seen.id);
      assert.deepEqual(edit.target, target);
      assert.equal(a.events.events.filter(isText).length, 0, 'no echo of our own edit');
    });

    it('carries mentions', async () => {
      const { a, b, target } = await inWorkspace();
      await a.t.send(target, { type: 'text', text: 'hey you', mentions: [b.t.address] });
      const got = await b.events.waitFor(textIs('hey you'));
      assert.deepEqual(got.mentions, [b.t.address]);
      await a.t.send(target, { type: 'text', text: 'nobody' });
      const plain = await b.events.waitFor(textIs('nobody'));
      assert.ok(plain.mentions === undefined || plain.mentions.length === 0);
    });

    it('delivers reactions naming the message as the peer saw it, directly and in a workspace', async () => {
      const a = await peer();
      const b = await peer();
      await a.t.send({ kind: 'direct', address: b.t.address }, { type: 'text', text: 'react!' });
      const seen = await b.events.waitFor(textIs('react!'));
      await b.t.react({ kind: 'direct', address: seen.from }, seen.id, '👍');
      const reaction = await a.events.waitFor((e) => e.type === 'reaction');
      assert.equal(reaction.type === 'reaction' && reaction.reactsTo, seen.id);
      assert.deepEqual(reaction.type === 'reaction' && reaction.emojis, ['👍']);
      assert.equal(reaction.type === 'reaction' && reaction.target.kind, 'direct');
      assert.equal(a.events.events.filter(isText).length, 0, 'a reaction is not text');

      const room = await inWorkspace();
      const sent = await room.a.t.send(room.target, { type: 'text', text: 'vote' });
      const roomSeen = await room.b.events.waitFor(textIs('vote'));
      await room.b.t.react(room.target, roomSeen.id, '✅');
      const roomReaction = await room.a.events.waitFor((e) => e.type === 'reaction');
      assert.ok(roomReaction.type === 'reaction');
      assert.equal(roomReaction.reactsTo, sent.id, 'the id our receipt gave');
      assert.deepEqual(roomReaction.target, room.target);
      assert.ok(roomReaction.emojis.includes('✅'));
      assert.equal(room.a.events.events.filter(isText).length, 0, 'a reaction is not text');
    });

    it('carries a confirm request with its text', async () => {
      const a = await peer();
      const b = await peer();
      const confirm = {
        id: 'confirm-1',
        action: 'send-message',
        expires: Date.parse('2031-01-02T03:04:05.000Z'),
        risk: 'high' as const,
      };
      await a.t.send(
        { kind: 'direct', address: b.t.address },
        { type: 'text', text: 'Send it? yes or no', confirm },
      );
      const got = await b.events.waitFor(textIs('Send it? yes or no'));
      if (harness.carriesConfirm !== false) assert.deepEqual(got.confirm, confirm);
    });

    it('says typing on and off without failing, directly and in a workspace', async () => {
      const a = await peer();
      const b = await peer();
      const toB: Target = { kind: 'direct', address: b.t.address };
      await a.t.setTyping(toB, true);
      await a.t.setTyping(toB, false);
      const room = await inWorkspace();
      await room.a.t.setTyping(room.target, true);
      await room.a.t.send(room.target, { type: 'text', text: 'typed' });
      await room.b.events.waitFor(textIs('typed'));
      await room.a.t.setTyping(room.target, false);
      assert.ok(!b.events.events.some(isText), 'typing is not text');
    });

    it('delivers a structured answer to a confirm request as a confirmation event', async (t) => {
      const a = await peer();
      // A round trip: a session host's client is surely subscribed after one (no inbox keeps
      // confirmations for later, unlike direct messages).
      await a.t.resolveTarget(a.t.address);
      const from = await harness.answerConfirm(a.t.address, 'confirm-42', 'deny');
      if (from === undefined) {
        t.skip('this network has no structured answer');
        return;
      }
      const event = await a.events.waitFor((e) => e.type === 'confirmation');
      assert.deepEqual(event, {
        type: 'confirmation',
        from,
        target: { kind: 'direct', address: from },
        confirm: 'confirm-42',
        decision: 'deny',
      });
      assert.equal(a.events.events.filter(isText).length, 0, 'a confirmation is not text');
    });
  });
}
