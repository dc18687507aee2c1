import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { xml } from '@xmpp/xml';
import { createXmppTransport } from '../../../src/transport/xmpp/index.ts';
import type { Transport } from '../../../src/transport/transport.ts';
import { EventRecorder } from '../../support/event-recorder.ts';
import { prosodyForTests } from '../../support/prosody.ts';
import { newAccount } from '../../support/xmpp-peers.ts';
import { openProbe, type Probe } from '../../support/xmpp-probe.ts';

const server = await prosodyForTests();

describe(
  'xmpp protocol citizenship (checked from a second client)',
  { skip: server ? false : 'prosody not installed: apt-get install prosody' },
  () => {
    let agent: Transport;
    let events: EventRecorder;
    let probe: Probe;

    before(async () => {
      if (!server) return;
      agent = createXmppTransport({
        ...(await newAccount(server, 'agent')),
        software: { name: 'mx-agent', version: '9.9.9' },
      });
      events = new EventRecorder(agent);
      await agent.connect();
      probe = await openProbe(await newAccount(server, 'probe'));
    });
    after(async () => {
      await probe.close();
      await agent.close();
    });

    it('answers XEP-0199 ping', async () => {
      const reply = await probe.iq(agent.address, 'get', xml('ping', { xmlns: 'urn:xmpp:ping' }));
      assert.equal(reply.attrs.type, 'result');
    });

    it('answers XEP-0030 disco#info with a bot identity and our features', async () => {
      const reply = await probe.iq(
        agent.address,
        'get',
        xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
      );
      assert.equal(reply.attrs.type, 'result');
      const query = reply.getChild('query');
      const identity = query?.getChild('identity');
      assert.deepEqual([identity?.attrs.category, identity?.attrs.type], ['client', 'bot']);
      const features = query?.getChildren('feature').map((f) => f.attrs.var) ?? [];
      for (const f of [
        'urn:mx-agent:0',
        'urn:xmpp:ping',
        'jabber:iq:version',
        'http://jabber.org/protocol/disco#info',
      ])
        assert.ok(features.includes(f), f);
    });

    it('answers XEP-0092 version without revealing the OS', async () => {
      const reply = await probe.iq(
        agent.address,
        'get',
        xml('query', { xmlns: 'jabber:iq:version' }),
      );
      const query = reply.getChild('query');
      assert.equal(query?.getChildText('name'), 'mx-agent');
      assert.equal(query?.getChildText('version'), '9.9.9');
      assert.equal(query?.getChild('os'), undefined);
    });

    it('answers an unknown IQ with service-unavailable (RFC 6120 §8.4)', async () => {
      for (const type of ['get', 'set'] as const) {
        const reply = await probe.iq(
          agent.address,
          type,
          xml('frobnicate', { xmlns: 'urn:example:unknown' }),
        );
        assert.equal(reply.attrs.type, 'error');
        assert.ok(
          reply
            .getChild('error')
            ?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas'),
        );
      }
    });

    it('never treats an error stanza as chat, and rejects malformed payloads without dying', async () => {
      await probe.send(
        xml(
          'message',
          { to: agent.address, type: 'error' },
          xml('body', {}, 'not chat'),
          xml(
            'error',
            { type: 'cancel' },
            xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
          ),
        ),
      );
      await probe.send(
        xml(
          'message',
          { to: agent.address, type: 'chat' },
          xml('payload', { xmlns: 'urn:mx-agent:0', kind: 'test.x', version: '1' }, '{not json'),
        ),
      );
      await probe.send(
        xml(
          'message',
          { to: agent.address, type: 'chat' },
          xml('payload', { xmlns: 'urn:mx-agent:0', kind: 'BAD', version: '1' }, '{}'),
        ),
      );
      await probe.send(
        xml('message', { to: agent.address, type: 'chat' }, xml('body', {}, 'real chat')),
      );
      const got = await events.waitFor((e) => e.type === 'text');
      assert.equal(got.type === 'text' ? got.text : '', 'real chat');
      const rejected = events.events.filter((e) => e.type === 'rejected');
      assert.equal(rejected.length, 2);
      assert.match(
        rejected[0]?.type === 'rejected' ? rejected[0].reason : '',
        /expected a payload body that is a JSON object/,
      );
      assert.deepEqual(events.texts(), ['real chat']);
      const reply = await probe.iq(agent.address, 'get', xml('ping', { xmlns: 'urn:xmpp:ping' }));
      assert.equal(reply.attrs.type, 'result', 'still alive');
    });
  },
);
