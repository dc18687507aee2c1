import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { InterruptedError, RefusedError, UsageError } from '../../../src/errors.ts';
import { createXmppTransport } from '../../../src/transport/xmpp/index.ts';
import type { Transport } from '../../../src/transport/transport.ts';
import { PROSODY_MISSING, prosodyForTests, uniqueUser } from '../../support/prosody.ts';
import { componentPeer, newAccount } from '../../support/xmpp-peers.ts';

const server = await prosodyForTests();

describe(
  'xmpp directory: public rooms and agents found by walking disco#items (XEP-0030)',
  { skip: server ? false : PROSODY_MISSING },
  () => {
    let owner: Transport;
    let searcher: Transport;
    let component: Transport;
    const tag = randomBytes(4).toString('hex');
    let listed: string;
    let hidden: string;

    before(async () => {
      if (!server) return;
      owner = createXmppTransport(await newAccount(server, 'owner'));
      searcher = createXmppTransport(await newAccount(server, 'searcher'));
      component = componentPeer(server);
      await Promise.all([owner.connect(), searcher.connect(), component.connect()]);
      listed = `${uniqueUser('listed')}@${server.mucDomain}`;
      hidden = `${uniqueUser('hidden')}@${server.mucDomain}`;
      await owner.createWorkspace(listed, { public: true, title: `Open kitchen ${tag}` });
      await owner.createWorkspace(hidden, { title: `Back office ${tag}` });
      await component.advertise({
        name: `Directory bot ${tag}`,
        kind: 'bot',
        features: ['urn:example:search:1'],
        card: { id: 'card-directory-bot' },
      });
    });
    after(async () => {
      await owner.close();
      await searcher.close();
      await component.close();
    });

    it('finds a public workspace with its title and occupants, never a private one', async () => {
      const all = await searcher.searchDirectory();
      const room = all.find((e) => e.address === listed);
      assert.deepEqual(room, {
        kind: 'workspace',
        address: listed,
        name: `Open kitchen ${tag}`,
        members: 1,
      });
      assert.equal(
        all.some((e) => e.address === hidden || e.name?.includes('Back office')),
        false,
      );
    });

    it('finds an advertised component as an mx-agent agent', async () => {
      if (!server) return;
      const all = await searcher.searchDirectory();
      const agent = all.find((e) => e.address === server?.componentDomain);
      assert.equal(agent?.kind, 'agent');
      assert.equal(agent.name, `Directory bot ${tag}`);
      assert.equal(agent.mxAgent, true);
      assert.ok(agent.features?.includes('urn:example:search:1'));
      // Services that are neither rooms nor agents stay out (the upload service, the server).
      assert.equal(
        all.some((e) => e.address === server?.uploadDomain || e.address === server?.domain),
        false,
      );
    });

    it('searches from a component as well (its server is its parent domain)', async () => {
      const found = await component.searchDirectory({ text: tag });
      assert.deepEqual(
        found.map((e) => [e.kind, e.address]),
        [
          ['workspace', listed],
          ['agent', server?.componentDomain],
        ],
      );
    });

    it('filters by text in the address, name or description, case-insensitively', async () => {
      const byTitle = await searcher.searchDirectory({ text: `OPEN KITCHEN ${tag}` });
      assert.deepEqual(
        byTitle.map((e) => e.address),
        [listed],
      );
      const byAddress = await searcher.searchDirectory({ text: listed.split('@')[0] ?? '' });
      assert.deepEqual(
        byAddress.map((e) => e.address),
        [listed],
      );
      assert.deepEqual(await searcher.searchDirectory({ text: `nothing-${tag}` }), []);
    });

    it('searches another service when asked: a MUC service lists its rooms', async () => {
      if (!server) return;
      const rooms = await searcher.searchDirectory({ server: server.mucDomain, text: tag });
      assert.deepEqual(
        rooms.map((e) => [e.kind, e.address]),
        [['workspace', listed]],
      );
    });

    it('says what went wrong with the server to search', async () => {
      await assert.rejects(
        searcher.searchDirectory({ server: 'not a domain' }),
        (e: unknown) =>
          e instanceof UsageError &&
          e.message === 'expected a server domain like example.org, got "not a domain"',
      );
      await assert.rejects(
        searcher.searchDirectory({ server: 'elsewhere.example' }),
        // Federation is off on the test server: it refuses, and the refusal is passed on.
        (e: unknown) =>
          e instanceof RefusedError &&
          e.detail.condition === 'not-allowed' &&
          e.message ===
            'disco#items of elsewhere.example failed: not-allowed (Communication with remote domains is not enabled)',
      );
      await assert.rejects(
        searcher.searchDirectory({}, { signal: AbortSignal.abort() }),
        InterruptedError,
      );
    });
  },
);
