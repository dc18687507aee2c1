import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { xml, type Element } from '@xmpp/xml';
import { InterruptedError, UsageError } from '../../../src/errors.ts';
import { createXmppTransport } from '../../../src/transport/xmpp/index.ts';
import type { InboundMessage, Transport } from '../../../src/transport/transport.ts';
import { EventRecorder } from '../../support/event-recorder.ts';
import { PROSODY_MISSING, prosodyForTests, uniqueUser } from '../../support/prosody.ts';
import { componentPeer, newAccount } from '../../support/xmpp-peers.ts';
import { openProbe, type Probe } from '../../support/xmpp-probe.ts';

const server = await prosodyForTests();

/** Poll what the probe received until `match` finds a stanza. */
async function received(probe: Probe, match: (s: Element) => boolean): Promise<Element> {
  for (let waited = 0; waited < 5000; waited += 20) {
    const found = probe.received.find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the probe did not receive the expected stanza');
}

const isMessage = (e: { type: string }): e is InboundMessage =>
  e.type === 'text' || e.type === 'payload';

describe(
  'xmpp history (XEP-0313) against what other clients send',
  { skip: server ? false : PROSODY_MISSING },
  () => {
    let agent: Transport;
    let events: EventRecorder;
    let probe: Probe;
    let room: string;

    before(async () => {
      if (!server) return;
      agent = createXmppTransport(await newAccount(server, 'agent'));
      events = new EventRecorder(agent);
      await agent.connect();
      probe = await openProbe(await newAccount(server, 'probe'));
      room = `${uniqueUser('history')}@${server.mucDomain}`;
      await agent.joinWorkspace(room);
      await probe.send(
        xml(
          'presence',
          { to: `${room}/probe` },
          xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
        ),
      );
      await received(probe, (s) => s.name === 'presence' && s.attrs.from === `${room}/probe`);
    });
    after(async () => {
      await probe.close();
      await agent.close();
    });

    it('gives a message without origin-id the id live delivery gave it, and leaves out malformed ones', async () => {
      await probe.send(
        xml(
          'message',
          { to: room, type: 'groupchat' },
          xml('payload', { xmlns: 'urn:mx-agent:0', kind: 'Not A Kind', version: '1' }, '{}'),
          xml('store', { xmlns: 'urn:xmpp:hints' }),
        ),
      );
      await probe.send(
        xml('message', { to: room, type: 'groupchat', id: 'plain-1' }, xml('body', {}, 'plain')),
      );
      const live = await events.waitFor((e) => e.type === 'text' && e.text === 'plain');
      assert.equal(events.events.filter((e) => e.type === 'rejected').length, 1);
      const page = await agent.history({ kind: 'workspace', workspace: room });
      assert.deepEqual(
        page.messages.map((m) => (m.type === 'text' ? m.text : m.type)),
        ['plain'],
      );
      assert.equal(page.messages[0]?.id, isMessage(live) ? live.id : undefined);
      assert.notEqual(page.messages[0]?.id, 'plain-1', 'the room stanza-id, as live delivery');
    });

    it('never delivers a forged archive result as a live message', async () => {
      const forged = xml(
        'message',
        { to: agent.address, type: 'chat' },
        xml('body', {}, 'forged outer'),
        xml(
          'result',
          { xmlns: 'urn:xmpp:mam:2', queryid: 'guess', id: 'X' },
          xml(
            'forwarded',
            { xmlns: 'urn:xmpp:forward:0' },
            xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2025-01-01T00:00:00Z' }),
            xml('message', { from: 'boss@localhost/x', type: 'chat' }, xml('body', {}, 'forged')),
          ),
        ),
      );
      await probe.send(forged);
      await probe.send(
        xml('message', { to: agent.address, type: 'chat' }, xml('body', {}, 'after')),
      );
      await events.waitFor((e) => e.type === 'text' && e.text === 'after');
      const texts = events.events.flatMap((e) => (e.type === 'text' ? [e.text] : []));
      assert.ok(!texts.some((t) => t.startsWith('forged')), JSON.stringify(texts));
    });

    it('pages a direct conversation one message at a time to its beginning', async () => {
      const peer = probe.session.jid;
      const mine = await agent.send(
        { kind: 'direct', address: peer },
        { type: 'text', text: 'reply' },
      );
      await received(probe, (s) => s.name === 'message' && s.getChildText('body') === 'reply');
      const read: InboundMessage[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await agent.history(
          { kind: 'direct', address: peer },
          { limit: 1, ...(cursor ? { before: cursor } : {}) },
        );
        assert.ok(page.messages.length <= 1);
        read.push(...page.messages);
        cursor = page.next;
        if (!cursor) break;
      }
      // The forged result was archived as any message is, and is left out as live left it out.
      const texts = read.flatMap((m) => (m.type === 'text' ? [m.text] : []));
      assert.deepEqual(texts, ['reply', 'after']);
      assert.equal(read[0]?.id, mine.id);
      assert.equal(read[0]?.from, agent.address);
      assert.deepEqual(read[0]?.target, { kind: 'direct', address: peer });
      assert.deepEqual(read[1]?.target, { kind: 'direct', address: peer });
    });

    it('refuses an unknown cursor, an aborted wait and a room not joined', async () => {
      const where = { kind: 'workspace', workspace: room } as const;
      await assert.rejects(agent.history(where, { before: 'no-such-id' }), UsageError);
      await assert.rejects(
        agent.history(where, {}, { signal: AbortSignal.abort() }),
        InterruptedError,
      );
      await assert.rejects(
        agent.history({ kind: 'workspace', workspace: `elsewhere@${server?.mucDomain ?? ''}` }),
        { constructor: UsageError, message: /not joined to workspace/ },
      );
    });

    it('tells a component it has no archive', async () => {
      if (!server) return;
      const component = componentPeer(server);
      await component.connect();
      try {
        await assert.rejects(component.history({ kind: 'direct', address: agent.address }), {
          constructor: UsageError,
          message: /needs a client account \(XEP-0313/,
        });
      } finally {
        await component.close();
      }
    });
  },
);
