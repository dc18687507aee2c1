/**
 * The chat extensions on the wire (specs/protocol.md §10.1), checked from a raw XMPP client on a
 * real Prosody: what our transport writes (chat states with hints, the confirm element,
 * corrections, mentions, reactions naming the room's id) and how it reads what a person's client
 * writes (OOB attachments, `<confirmed/>`, corrections and reactions, error stanzas, room echoes
 * and history).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { xml, type Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import { createXmppTransport } from '../../../src/transport/xmpp/index.ts';
import type { Target, Transport, TransportEvent } from '../../../src/transport/transport.ts';
import { EventRecorder } from '../../support/event-recorder.ts';
import { PROSODY_MISSING, prosodyForTests } from '../../support/prosody.ts';
import { newAccount } from '../../support/xmpp-peers.ts';
import { openProbe, type Probe } from '../../support/xmpp-probe.ts';

const server = await prosodyForTests();

const NS_CONFIRM = 'urn:fluux:agent:0#confirm';
const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
const NS_HINTS = 'urn:xmpp:hints';
const NS_SID = 'urn:xmpp:sid:0';

async function waitFor(probe: Probe, match: (s: Element) => boolean): Promise<Element> {
  for (let waited = 0; waited < 5000; waited += 20) {
    const found = probe.received.find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(
    `the probe did not receive the expected stanza; got ${probe.received.map(String).join('\n')}`,
  );
}

const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));
const texts = (events: EventRecorder): TransportEvent[] =>
  events.events.filter((e) => e.type === 'text');

describe('chat extensions on the wire', { skip: server ? false : PROSODY_MISSING }, () => {
  let agent: Transport;
  let events: EventRecorder;
  let probe: Probe;
  let toProbe: Target;
  const open: Transport[] = [];

  before(async () => {
    if (!server) return;
    agent = createXmppTransport({ ...(await newAccount(server, 'agent')), nick: 'default-nick' });
    events = new EventRecorder(agent);
    await agent.connect();
    open.push(agent);
    probe = await openProbe(await newAccount(server, 'person'));
    toProbe = { kind: 'direct', address: probe.session.jid };
  });
  after(async () => {
    await Promise.allSettled(open.map((t) => t.close()));
    await probe.close();
    await server?.stop();
  });

  /** Send XML written as text, with AGENT and PROBE replaced by the addresses. */
  const sendRaw = (text: string): Promise<void> =>
    probe.send(
      parse(text.replaceAll('AGENT', agent.address).replaceAll('PROBE', probe.session.jid)),
    );

  it('reads OOB attachments and takes their links out of the text', async () => {
    await sendRaw(`<message to='AGENT' type='chat' id='oob-1'>
      <body>look at https://up.example/f/a1/cat%20pic.png\n\n   nice?  \nhttps://up.example/f/b2/doc.pdf</body>
      <x xmlns='jabber:x:oob'><url>https://up.example/f/a1/cat%20pic.png</url></x>
      <x xmlns='jabber:x:oob'><url>https://up.example/f/b2/doc.pdf</url><desc>a doc</desc></x>
    </message>`);
    const got = await events.waitFor((e) => e.type === 'text' && e.text.startsWith('look'));
    assert.ok(got.type === 'text');
    assert.equal(got.text, 'look at\nnice?');
    assert.deepEqual(got.attachments, [
      { url: 'https://up.example/f/a1/cat%20pic.png', name: 'cat pic.png' },
      { url: 'https://up.example/f/b2/doc.pdf', name: 'doc.pdf' },
    ]);
    await sendRaw(`<message to='AGENT' type='chat' id='oob-2'>
      <body>https://up.example/f/c3/only.jpg</body>
      <x xmlns='jabber:x:oob'><url>https://up.example/f/c3/only.jpg</url></x></message>`);
    const bare = await events.waitFor(
      (e) => e.type === 'text' && e.attachments?.[0]?.name === 'only.jpg',
    );
    assert.ok(bare.type === 'text');
    assert.equal(bare.text, '');
    assert.equal(bare.attachments?.[0]?.name, 'only.jpg');
  });

  it('writes the confirm element, <active/> and the mentions beside the body', async () => {
    const expires = Date.parse('2030-05-06T07:08:09.000Z');
    const receipt = await agent.send(toProbe, {
      type: 'text',
      text: 'Send the mail? yes or no',
      mentions: [probe.session.jid],
      confirm: { id: 'confirm-7', action: 'send-message', expires, risk: 'high' },
    });
    const stanza = await waitFor(probe, (s) => s.attrs.id === receipt.id);
    assert.equal(stanza.attrs.type, 'chat');
    assert.equal(stanza.getChildText('body'), 'Send the mail? yes or no');
    assert.ok(stanza.getChild('active', NS_CHATSTATES));
    assert.equal(stanza.getChild('origin-id', NS_SID)?.attrs.id, receipt.id);
    const confirm = stanza.getChild('confirm', NS_CONFIRM);
    assert.equal(confirm?.attrs.id, 'confirm-7');
    assert.equal(confirm?.getChild('action')?.attrs.type, 'send-message');
    assert.equal(confirm?.getChild('risk')?.attrs.level, 'high');
    assert.equal(confirm?.getChildText('expires'), '2030-05-06T07:08:09.000Z');
    const reference = stanza.getChild('reference', 'urn:xmpp:reference:0');
    assert.equal(reference?.attrs.type, 'mention');
    assert.equal(reference?.attrs.uri, `xmpp:${probe.session.jid}`);
  });

  it('reads <confirmed/> (with or without a body) as a confirmation, never as text', async () => {
    const before = texts(events).length;
    await sendRaw(`<message to='AGENT' type='chat' id='c-1'><body>yes</body>
      <confirmed xmlns='urn:fluux:agent:0#confirm' id='confirm-7' decision='approve'/></message>`);
    await sendRaw(`<message to='AGENT' type='chat' id='c-2'>
      <confirmed xmlns='urn:fluux:agent:0#confirm' id='confirm-8' decision='deny'/></message>`);
    await sendRaw(`<message to='AGENT' type='chat' id='c-3'>
      <confirmed xmlns='urn:fluux:agent:0#confirm' id='confirm-9' decision='maybe'/></message>`);
    const answers = await events.waitForCount((e) => e.type === 'confirmation', 2);
    assert.deepEqual(
      answers.map((e) => (e.type === 'confirmation' ? [e.confirm, e.decision, e.from] : [])),
      [
        ['confirm-7', 'approve', probe.session.jid],
        ['confirm-8', 'deny', probe.session.jid],
      ],
    );
    await events.waitFor((e) => e.type === 'rejected' && /decision/.test(e.reason));
    assert.equal(texts(events).length, before);
  });

  it('writes chat states as bodiless messages with no-store hints', async () => {
    await agent.setTyping(toProbe, true);
    await agent.setTyping(toProbe, false);
    const composing = await waitFor(
      probe,
      (s) => s.getChild('composing', NS_CHATSTATES) !== undefined,
    );
    const paused = await waitFor(probe, (s) => s.getChild('paused', NS_CHATSTATES) !== undefined);
    for (const stanza of [composing, paused]) {
      assert.equal(stanza.attrs.type, 'chat');
      assert.equal(stanza.getChild('body'), undefined);
      assert.ok(stanza.getChild('no-store', NS_HINTS));
      assert.ok(stanza.getChild('no-permanent-store', NS_HINTS));
    }
    // Theirs are not events.
    const before = events.events.length;
    await sendRaw(
      `<message to='AGENT' type='chat'><composing xmlns='${NS_CHATSTATES}'/></message>`,
    );
    await settle();
    assert.equal(events.events.length, before);
  });

  it('never delivers an error stanza as text', async () => {
    await sendRaw(`<message to='AGENT' type='error' id='err-1'><body>not chat</body>
      <error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`);
    await sendRaw(`<message to='AGENT' type='chat' id='after-err'><body>after</body></message>`);
    await events.waitFor((e) => e.type === 'text' && e.text === 'after');
    assert.ok(!events.events.some((e) => e.type === 'text' && e.text === 'not chat'));
  });

  it('reads a direct correction and reaction naming the id we saw, and reacts by the stanza id', async () => {
    // A client that sends no origin-id: we deliver its message by the id our archive gave it.
    await sendRaw(`<message to='AGENT' type='chat' id='orig-1'><body>teh</body></message>`);
    const typo = await events.waitFor((e) => e.type === 'text' && e.text === 'teh');
    assert.notEqual(typo.type === 'text' && typo.id, 'orig-1');
    await sendRaw(`<message to='AGENT' type='chat' id='fix-1'><body>the</body>
      <replace id='orig-1' xmlns='urn:xmpp:message-correct:0'/></message>`);
    const fix = await events.waitFor((e) => e.type === 'text' && e.text === 'the');
    assert.equal(fix.type === 'text' && fix.replaces, typo.type === 'text' && typo.id);
    await agent.react(toProbe, typo.type === 'text' ? typo.id : '', '👀');
    const out = await waitFor(
      probe,
      (s) => s.getChild('reactions', 'urn:xmpp:reactions:0') !== undefined,
    );
    assert.equal(out.getChild('reactions', 'urn:xmpp:reactions:0')?.attrs.id, 'orig-1');
    assert.ok(out.getChild('store', NS_HINTS));

    const sent = await agent.send(toProbe, { type: 'text', text: 'react to me' });
    await sendRaw(`<message to='AGENT' type='chat' id='re-1'><body>👍</body>
      <reactions id='${sent.id}' xmlns='urn:xmpp:reactions:0'><reaction>👍</reaction><reaction>🎉</reaction></reactions>
      <store xmlns='urn:xmpp:hints'/></message>`);
    const reaction = await events.waitFor((e) => e.type === 'reaction');
    assert.ok(reaction.type === 'reaction');
    assert.equal(reaction.reactsTo, sent.id);
    assert.deepEqual(reaction.emojis, ['👍', '🎉']);
    assert.ok(!events.events.some((e) => e.type === 'text' && e.text === '👍'));
  });

  it('in a room: joins with the nick asked, names messages by the room id in reactions, skips echoes and history', async () => {
    assert.ok(server);
    const room = `chat-wire-${String(process.pid)}@${server.mucDomain}`;
    const target: Target = { kind: 'workspace', workspace: room };
    const info = await agent.joinWorkspace(room, { nick: 'Helper Bot' });
    assert.equal(info.self, `${room}/Helper Bot`);
    await probe.send(
      xml(
        'presence',
        { to: `${room}/person` },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
      ),
    );
    await events.waitFor((e) => e.type === 'presence' && e.from === `${room}/person`);

    // The probe's message as the room reflects it: its origin-id and the room's stanza-id.
    await probe.send(
      xml(
        'message',
        { to: room, type: 'groupchat', id: 'p-1' },
        xml('body', {}, 'vote here'),
        xml('origin-id', { xmlns: NS_SID, id: 'p-1' }),
      ),
    );
    const reflected = await waitFor(
      probe,
      (s) => s.attrs.type === 'groupchat' && s.getChild('origin-id', NS_SID)?.attrs.id === 'p-1',
    );
    const roomId = reflected.getChildren('stanza-id', NS_SID).find((e) => e.attrs.by === room)
      ?.attrs.id;
    assert.ok(roomId, reflected.toString());
    const seen = await events.waitFor((e) => e.type === 'text' && e.text === 'vote here');
    assert.ok(seen.type === 'text');
    assert.equal(seen.id, 'p-1');

    await agent.react(target, seen.id, '👍');
    const out = await waitFor(
      probe,
      (s) =>
        s.getChild('reactions', 'urn:xmpp:reactions:0') !== undefined &&
        s.attrs.type === 'groupchat',
    );
    assert.equal(out.getChild('reactions', 'urn:xmpp:reactions:0')?.attrs.id, roomId);

    // Our own message, reacted to and corrected by the probe with the ids it sees.
    const ours = await agent.send(target, {
      type: 'text',
      text: 'ours',
      mentions: [`${room}/person`],
    });
    const oursSeen = await waitFor(
      probe,
      (s) => s.getChild('origin-id', NS_SID)?.attrs.id === ours.id,
    );
    assert.equal(
      oursSeen.getChild('reference', 'urn:xmpp:reference:0')?.attrs.uri,
      `xmpp:${room}/person`,
    );
    const oursRoomId =
      oursSeen.getChildren('stanza-id', NS_SID).find((e) => e.attrs.by === room)?.attrs.id ?? '';
    await probe.send(
      xml(
        'message',
        { to: room, type: 'groupchat', id: 'p-2' },
        xml(
          'reactions',
          { xmlns: 'urn:xmpp:reactions:0', id: oursRoomId },
          xml('reaction', {}, '✅'),
        ),
      ),
    );
    const reaction = await events.waitFor(
      (e) => e.type === 'reaction' && e.target.kind === 'workspace',
    );
    assert.ok(reaction.type === 'reaction');
    assert.equal(reaction.reactsTo, ours.id);
    assert.equal(reaction.from, `${room}/person`);

    await probe.send(
      xml(
        'message',
        { to: room, type: 'groupchat', id: 'p-3' },
        xml('body', {}, 'vote HERE'),
        xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'p-1' }),
        xml('reference', {
          xmlns: 'urn:xmpp:reference:0',
          type: 'mention',
          uri: 'xmpp:' + encodeURI(`${room}/Helper Bot`),
        }),
      ),
    );
    const fix = await events.waitFor((e) => e.type === 'text' && e.text === 'vote HERE');
    assert.ok(fix.type === 'text');
    assert.equal(fix.replaces, 'p-1');
    assert.deepEqual(fix.mentions, [agent.address]);

    // No echo of our own room messages; no history replayed to a newcomer.
    assert.ok(!events.events.some((e) => e.type === 'text' && e.text === 'ours'));
    const late = createXmppTransport(await newAccount(server, 'late'));
    open.push(late);
    const lateEvents = new EventRecorder(late);
    await late.connect();
    await late.joinWorkspace(room);
    await probe.send(
      xml('message', { to: room, type: 'groupchat', id: 'p-4' }, xml('body', {}, 'now')),
    );
    await lateEvents.waitFor((e) => e.type === 'text' && e.text === 'now');
    assert.deepEqual(
      texts(lateEvents).map((e) => (e.type === 'text' ? e.text : '')),
      ['now'],
    );
    assert.equal(lateEvents.events.filter((e) => e.type === 'reaction').length, 0);
  });
});
