import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xml, type Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import {
  addressOfUri,
  chatStateMessage,
  readAttachments,
  reactionsMessage,
  xmppUri,
} from '../../../../src/transport/xmpp/chat-xml.ts';
import { decodeMessage, encodeMessage } from '../../../../src/transport/xmpp/codec.ts';
import { MessageIds } from '../../../../src/transport/xmpp/message-ids.ts';

const ROOM = 'room@conf.example.org';
const SELF = 'bot@example.org/res';
const context = { nickIn: (room: string) => (room === ROOM ? 'Bot' : undefined), self: SELF };

/** What a peer receives of what we encode: the stanza as XML text, parsed, with a `from`. */
function received(stanza: Element, from: string): Element {
  return parse(stanza.toString().replace('<message ', `<message from='${from}' `));
}

test('a text with an edit, mentions and a confirm request round-trips through XML', () => {
  const confirm = {
    id: 'c-1',
    action: 'send-message',
    expires: 1_900_000_000_000,
    risk: 'medium' as const,
  };
  const stanza = encodeMessage(
    'peer@example.org/x',
    { kind: 'direct', address: 'peer@example.org/x' },
    {
      type: 'text',
      text: 'fixed',
      replaces: 'm-0',
      mentions: [SELF, 'room@conf.example.org/Jo Jo?'],
      confirm,
    },
    'm-1',
  );
  const decoded = decodeMessage(received(stanza, 'alice@example.org/phone'), context);
  assert.equal(decoded.outcome, 'message');
  if (decoded.outcome !== 'message' || decoded.message.type !== 'text') return;
  const { text, replaces, mentions, confirm: carried, id } = decoded.message;
  assert.deepEqual(
    { text, replaces, mentions, confirm: carried, id },
    {
      text: 'fixed',
      replaces: 'm-0',
      mentions: [SELF, 'room@conf.example.org/Jo Jo?'],
      confirm,
      id: 'm-1',
    },
  );
});

test('a mention of our account or of our nick in the room reads as our own address', () => {
  const message = (uri: string): Element =>
    xml(
      'message',
      { from: `${ROOM}/alice`, type: 'groupchat', id: 'x' },
      xml('body', {}, 'hi'),
      xml('reference', { xmlns: 'urn:xmpp:reference:0', type: 'mention', uri }),
    );
  const mentions = (uri: string): readonly string[] | undefined => {
    const decoded = decodeMessage(message(uri), context);
    return decoded.outcome === 'message' && decoded.message.type === 'text'
      ? decoded.message.mentions
      : undefined;
  };
  assert.deepEqual(mentions('xmpp:bot@example.org'), [SELF]);
  assert.deepEqual(mentions(`xmpp:${ROOM}/Bot`), [SELF]);
  assert.deepEqual(mentions(`xmpp:${ROOM}/alice`), [`${ROOM}/alice`]);
  assert.deepEqual(mentions('https://example.org'), undefined);
});

test('xmpp: URIs percent-encode what RFC 5122 wants and decode back', () => {
  assert.equal(xmppUri('room@conf/Jo Jo?#'), 'xmpp:room@conf/Jo%20Jo%3F%23');
  assert.equal(addressOfUri('xmpp:room@conf/Jo%20Jo%3F%23'), 'room@conf/Jo Jo?#');
  assert.equal(addressOfUri('xmpp:bob@example.org?message'), 'bob@example.org');
  assert.equal(addressOfUri('xmpp://me@example.org/bob@example.org'), 'bob@example.org');
  assert.equal(addressOfUri('xmpp:%E0%A4%A'), undefined);
  assert.equal(addressOfUri('mailto:bob@example.org'), undefined);
});

test('OOB links are taken out of the body, lines trimmed, blank lines dropped (Fluux rule)', () => {
  const stanza =
    parse(`<message><body>  see https://u.example/a/b%C3%A9.txt there \n\n\n https://u.example/x/ </body>
    <x xmlns='jabber:x:oob'><url> https://u.example/a/b%C3%A9.txt </url></x>
    <x xmlns='jabber:x:oob'><url>https://u.example/x/</url></x>
    <x xmlns='jabber:x:oob'><url></url></x></message>`);
  assert.deepEqual(readAttachments(stanza, stanza.getChildText('body') ?? ''), {
    text: 'see  there',
    attachments: [
      { url: 'https://u.example/a/b%C3%A9.txt', name: 'bé.txt' },
      { url: 'https://u.example/x/' },
    ],
  });
  const plain = parse('<message><body> as is \n\n</body></message>');
  assert.deepEqual(readAttachments(plain, ' as is \n\n'), { text: ' as is \n\n', attachments: [] });
});

test('reactions and <confirmed/> become events, never text; malformed ones are rejected', () => {
  const from = 'alice@example.org/phone';
  const reaction = decodeMessage(
    received(reactionsMessage(SELF, 'chat', 'r-1', 'm-1', ['👍', '👍', ' 🎉 ']), from),
    context,
  );
  assert.equal(reaction.outcome, 'event');
  if (reaction.outcome === 'event' && reaction.event.type === 'reaction') {
    assert.equal(reaction.event.reactsTo, 'm-1');
    assert.deepEqual(reaction.event.emojis, ['👍', '🎉']);
    assert.deepEqual(reaction.event.target, { kind: 'direct', address: from });
  }
  const removal = decodeMessage(
    parse(
      `<message from='${from}' type='chat'><reactions xmlns='urn:xmpp:reactions:0' id='m-1'/></message>`,
    ),
    context,
  );
  assert.deepEqual(
    removal.outcome === 'event' && removal.event.type === 'reaction' && removal.event.emojis,
    [],
  );
  const confirmed = decodeMessage(
    parse(
      `<message from='${from}' type='chat'><body>yes</body><confirmed xmlns='urn:fluux:agent:0#confirm' id='c-1' decision='approve'/></message>`,
    ),
    context,
  );
  assert.deepEqual(confirmed.outcome === 'event' && confirmed.event, {
    type: 'confirmation',
    from,
    target: { kind: 'direct', address: from },
    confirm: 'c-1',
    decision: 'approve',
  });
  for (const bad of [
    `<message from='${from}' type='chat'><reactions xmlns='urn:xmpp:reactions:0'><reaction>👍</reaction></reactions></message>`,
    `<message from='${from}' type='chat'><body>ok</body><confirmed xmlns='urn:fluux:agent:0#confirm' decision='approve'/></message>`,
    `<message from='${from}' type='chat'><confirmed xmlns='urn:fluux:agent:0#confirm' id='c' decision='yes'/></message>`,
  ])
    assert.equal(decodeMessage(parse(bad), context).outcome, 'rejected', bad);
  const echo = decodeMessage(
    received(reactionsMessage(ROOM, 'groupchat', 'r-2', 'm-1', ['👍']), `${ROOM}/Bot`),
    context,
  );
  assert.equal(echo.outcome, 'ignored', 'our own room reaction');
});

test('a confirm element with a bad expiry is left out; the text stays', () => {
  const decoded = decodeMessage(
    parse(`<message from='a@example.org/x' type='chat'><body>ok?</body>
      <confirm xmlns='urn:fluux:agent:0#confirm' id='c'><action type='x'/><expires>soon</expires></confirm></message>`),
    context,
  );
  assert.ok(decoded.outcome === 'message' && decoded.message.type === 'text');
  assert.equal(decoded.message.text, 'ok?');
  assert.equal(decoded.message.confirm, undefined);
});

test('chat states are bodiless and unstored', () => {
  const stanza = chatStateMessage(ROOM, 'groupchat', 'composing', 's-1');
  assert.equal(
    stanza.toString(),
    `<message to="${ROOM}" type="groupchat" id="s-1"><composing xmlns="http://jabber.org/protocol/chatstates"/><no-store xmlns="urn:xmpp:hints"/><no-permanent-store xmlns="urn:xmpp:hints"/></message>`,
  );
  assert.equal(decodeMessage(received(stanza, `${ROOM}/alice`), context).outcome, 'ignored');
});

test('message ids: a room message is reacted to by the room id and read back by its origin-id', () => {
  const ids = new MessageIds();
  ids.learn(
    parse(`<message from='${ROOM}/alice' type='groupchat' id='a-1'><body>x</body>
      <origin-id xmlns='urn:xmpp:sid:0' id='o-1'/><stanza-id xmlns='urn:xmpp:sid:0' by='${ROOM}' id='s-1'/>
      <stanza-id xmlns='urn:xmpp:sid:0' by='evil@example.org' id='s-evil'/></message>`),
  );
  assert.equal(ids.reactable(ROOM, 'o-1'), 's-1');
  assert.equal(ids.ours(ROOM, 's-1'), 'o-1');
  assert.equal(ids.ours(ROOM, 'a-1'), 'o-1');
  assert.equal(ids.ours(ROOM, 's-evil'), 's-evil');
  assert.equal(ids.ours('ROOM@conf.example.org', 's-1'), 'o-1', 'bare JIDs compare case-folded');
  ids.learn(
    parse(`<message from='bob@example.org/x' type='chat' id='b-1'><body>y</body>
    <stanza-id xmlns='urn:xmpp:sid:0' by='bot@example.org' id='arch-1'/></message>`),
  );
  assert.equal(ids.ours('bob@example.org/other', 'b-1'), 'arch-1');
  assert.equal(ids.reactable('bob@example.org/x', 'arch-1'), 'b-1');
});
