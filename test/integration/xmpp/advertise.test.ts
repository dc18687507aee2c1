import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { xml, type Element } from '@xmpp/xml';
import { UsageError } from '../../../src/errors.ts';
import { createXmppTransport } from '../../../src/transport/xmpp/index.ts';
import type { Advertisement, Transport } from '../../../src/transport/transport.ts';
import { EventRecorder } from '../../support/event-recorder.ts';
import { PROSODY_MISSING, prosodyForTests, uniqueUser } from '../../support/prosody.ts';
import { componentPeer, newAccount } from '../../support/xmpp-peers.ts';
import { openProbe, type Probe } from '../../support/xmpp-probe.ts';

const server = await prosodyForTests();

const NS_MX = 'urn:mx-agent:0';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';

const advert: Advertisement = {
  name: 'Builder',
  kind: 'bot',
  features: ['urn:example:build:1'],
  card: { id: 'card-builder', name: 'Builder', accepts: ['stream.chunk'] },
};

/** Poll what the probe received until `match` finds a stanza. */
async function received(probe: Probe, match: (s: Element) => boolean): Promise<Element> {
  for (let waited = 0; waited < 5000; waited += 20) {
    const found = probe.received.findLast(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the probe did not receive the expected stanza');
}

/** XEP-0115 §5.1, computed independently of the code under test. */
function capsVer(query: Element): string {
  const identities = query
    .getChildren('identity')
    .map((i) => `${i.attrs.category ?? ''}/${i.attrs.type ?? ''}//${i.attrs.name ?? ''}<`)
    .sort();
  const features = query
    .getChildren('feature')
    .map((f) => `${f.attrs.var ?? ''}<`)
    .sort();
  return createHash('sha1')
    .update([...identities, ...features].join(''))
    .digest('base64');
}

async function cardOf(probe: Probe, owner: string): Promise<unknown> {
  const reply = await probe.iq(
    owner,
    'get',
    xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: `${NS_MX}:card` })),
  );
  assert.equal(reply.attrs.type, 'result', reply.toString());
  const item = reply.getChild('pubsub')?.getChild('items')?.getChild('item');
  assert.equal(item?.attrs.id, 'current');
  return JSON.parse(item?.getChild('card', NS_MX)?.text() ?? 'null');
}

describe(
  'xmpp advertisement: disco identity, caps, PEP card, presence summary',
  { skip: server ? false : PROSODY_MISSING },
  () => {
    let agent: Transport;
    let probe: Probe;
    let workspace: string;

    before(async () => {
      if (!server) return;
      agent = createXmppTransport(await newAccount(server, 'agent'));
      await agent.connect();
      probe = await openProbe(await newAccount(server, 'probe'));
      workspace = `${uniqueUser('advert')}@${server.mucDomain}`;
      await agent.createWorkspace(workspace, { public: true });
      await probe.send(
        xml(
          'presence',
          { to: `${workspace}/probe` },
          xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
        ),
      );
      await received(probe, (s) => s.name === 'presence' && s.attrs.from === `${workspace}/probe`);
      await agent.advertise(advert);
    });
    after(async () => {
      await probe.close();
      await agent.close();
    });

    it('answers disco#info with the advertised identity and features, also at its caps node', async () => {
      const reply = await probe.iq(agent.address, 'get', xml('query', { xmlns: NS_DISCO_INFO }));
      const query = reply.getChild('query');
      assert.ok(query);
      assert.deepEqual(
        query.getChildren('identity').map((i) => i.attrs),
        [{ category: 'client', type: 'bot', name: 'Builder' }],
      );
      const features = query.getChildren('feature').map((f) => f.attrs.var);
      for (const f of [NS_MX, 'urn:example:build:1', 'http://jabber.org/protocol/caps'])
        assert.ok(features.includes(f), f);

      const presence = await received(
        probe,
        (s) =>
          s.name === 'presence' &&
          s.attrs.from?.startsWith(`${workspace}/`) === true &&
          s.getChild('agent', NS_MX) !== undefined,
      );
      const caps = presence.getChild('c', 'http://jabber.org/protocol/caps');
      assert.equal(caps?.attrs.hash, 'sha-1');
      assert.equal(caps.attrs.ver, capsVer(query));
      const atNode = await probe.iq(
        agent.address,
        'get',
        xml('query', {
          xmlns: NS_DISCO_INFO,
          node: `${caps.attrs.node ?? ''}#${caps.attrs.ver ?? ''}`,
        }),
      );
      assert.equal(atNode.attrs.type, 'result');
      assert.equal(capsVer(atNode.getChild('query') ?? query), caps.attrs.ver);
    });

    it('publishes the card to its PEP node for anyone to read', async () => {
      assert.deepEqual(await cardOf(probe, agent.address.split('/')[0] ?? ''), advert.card);
    });

    it('puts the agent summary in its room presence, and keeps it after a reconnect', async () => {
      if (!server) return;
      const fromAgent = (s: Element): boolean =>
        s.name === 'presence' &&
        s.attrs.from?.startsWith(`${workspace}/`) === true &&
        s.attrs.type !== 'unavailable' &&
        s.getChild('agent', NS_MX) !== undefined;
      const summary = (await received(probe, fromAgent)).getChild('agent', NS_MX);
      assert.deepEqual(summary?.attrs, { xmlns: NS_MX, id: 'card-builder', kind: 'bot' });

      const events = new EventRecorder(agent);
      await server.restart();
      await events.waitFor((e) => e.type === 'connection' && e.state === 'online', 20_000);
      // The probe lost its stream too; a fresh one rejoins and sees the agent's presence.
      await probe.close();
      probe = await openProbe(await newAccount(server, 'probe'));
      await probe.send(
        xml(
          'presence',
          { to: `${workspace}/probe2` },
          xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
        ),
      );
      const again = await received(probe, fromAgent);
      assert.equal(again.getChild('agent', NS_MX)?.attrs.id, 'card-builder');
      const reply = await probe.iq(agent.address, 'get', xml('query', { xmlns: NS_DISCO_INFO }));
      assert.equal(reply.getChild('query')?.getChild('identity')?.attrs.name, 'Builder');
    });

    it('rejects an advertisement without a card id, or with a bad kind', async () => {
      await assert.rejects(
        agent.advertise({ ...advert, card: { name: 'x' } }),
        (e: unknown) =>
          e instanceof UsageError &&
          e.message === 'expected an agent card with a string "id", got nothing',
      );
      await assert.rejects(
        agent.advertise({ ...advert, kind: 'robot' as 'bot' }),
        (e: unknown) => e instanceof UsageError && /"bot" or "console"/.test(e.message),
      );
    });
  },
);

describe(
  'xmpp advertisement from a component (no PEP: it serves its card itself)',
  { skip: server ? false : PROSODY_MISSING },
  () => {
    it('answers disco#info and card queries on its own domain, and its room presence carries the summary', async () => {
      if (!server) return;
      const component = componentPeer(server);
      await component.connect();
      const probe = await openProbe(await newAccount(server, 'probe'));
      try {
        await component.advertise({ ...advert, name: 'Component agent', kind: 'console' });
        const reply = await probe.iq(
          server.componentDomain,
          'get',
          xml('query', { xmlns: NS_DISCO_INFO }),
        );
        assert.deepEqual(reply.getChild('query')?.getChild('identity')?.attrs, {
          category: 'client',
          type: 'console',
          name: 'Component agent',
        });
        assert.deepEqual(await cardOf(probe, server.componentDomain), advert.card);
        const workspace = `${uniqueUser('comp')}@${server.mucDomain}`;
        await component.createWorkspace(workspace, { public: true });
        await probe.send(
          xml(
            'presence',
            { to: `${workspace}/probe` },
            xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
          ),
        );
        const presence = await received(
          probe,
          (s) =>
            s.name === 'presence' &&
            s.attrs.from?.startsWith(`${workspace}/`) === true &&
            s.getChild('agent', NS_MX) !== undefined,
        );
        assert.equal(presence.getChild('agent', NS_MX)?.attrs.kind, 'console');
      } finally {
        await probe.close();
        await component.close();
      }
    });
  },
);
