import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeSightings, readWorkspaceAgents } from '../../../src/discovery/agents.ts';
import { Announcer } from '../../../src/discovery/announcer.ts';
import { buildCard } from '../../../src/discovery/card-build.ts';
import { CARD_TYPE, cardToJson, parseCard, type AgentCard } from '../../../src/discovery/card.ts';
import { discoverAgents } from '../../../src/discovery/discover.ts';
import { livenessOf } from '../../../src/discovery/heartbeat.ts';
import { FakeNetwork, type FakeTransport } from '../../../src/transport/fake.ts';

const WS = '#agents';

function card(name: string, address: string, extra: Partial<AgentCard> = {}): AgentCard {
  return {
    ...buildCard(
      {
        id: `agt-${name.padEnd(16, 'a').slice(0, 16)}`,
        name,
        kind: 'serve',
        capabilities: ['build'],
        skills: [{ name: 'run_tests', version: '1', inputSchema: { type: 'object' } }],
      },
      { addresses: [{ network: 'fake', address }], version: '0.1.0', heartbeatMs: 200, updated: 1 },
    ),
    ...extra,
  };
}

async function agent(
  net: FakeNetwork,
  name: string,
  owner: FakeTransport,
  extra: Partial<AgentCard> = {},
): Promise<{ t: FakeTransport; announcer: Announcer }> {
  const t = net.transport(name);
  await t.connect();
  await owner.invite(WS, t.address);
  const announcer = new Announcer({
    card: () => card(name, t.address, extra),
    workspaces: () => [WS],
    log: () => undefined,
  });
  announcer.start(t, {
    join: async (w) => {
      await t.joinWorkspace(w);
    },
    leave: (w) => t.leaveWorkspace(w),
  });
  await announcer.refresh(new AbortController().signal);
  return { t, announcer };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('discovery on the fake network', () => {
  it('finds three agents with their capabilities, and filters by capability', async () => {
    const net = new FakeNetwork();
    const owner = net.transport('owner');
    await owner.connect();
    await owner.createWorkspace(WS);
    const a = await agent(net, 'alpha', owner);
    const b = await agent(net, 'bravo', owner, { capabilities: ['build', 'review'] });
    const c = await agent(net, 'charlie', owner, { capabilities: ['review'] });
    const report = await discoverAgents([{ profile: 'p', transport: owner, workspaces: [WS] }]);
    assert.deepEqual(
      report.agents.map((x) => x.card.name),
      ['alpha', 'bravo', 'charlie'],
    );
    assert.ok(report.agents.every((x) => x.liveness === 'active'));
    const review = await discoverAgents([{ profile: 'p', transport: owner, workspaces: [WS] }], {
      capabilities: ['review'],
    });
    assert.deepEqual(
      review.agents.map((x) => x.card.name),
      ['bravo', 'charlie'],
    );
    const skill = await discoverAgents([{ profile: 'p', transport: owner, workspaces: [WS] }], {
      capabilities: ['run_tests', 'build'],
    });
    assert.deepEqual(
      skill.agents.map((x) => x.card.name),
      ['alpha', 'bravo'],
    );
    await Promise.all([a, b, c].map((x) => x.announcer.stop()));
    const after = await discoverAgents([{ profile: 'p', transport: owner, workspaces: [WS] }]);
    assert.ok(
      after.agents.every((x) => x.liveness === 'offline'),
      'a clean stop is offline at once',
    );
  });

  it('turns an agent that stops beating stale, then offline', async () => {
    const net = new FakeNetwork();
    const owner = net.transport('owner');
    await owner.connect();
    await owner.createWorkspace(WS);
    const a = await agent(net, 'alpha', owner);
    const state = async (): Promise<string | undefined> =>
      (await discoverAgents([{ profile: 'p', transport: owner, workspaces: [WS] }])).agents[0]
        ?.liveness;
    assert.equal(await state(), 'active');
    // A crash: the connection goes without a goodbye (the one stop() tries cannot be sent).
    await a.t.close();
    await a.announcer.stop();
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 40 && !seen.has('offline'); i++) {
      seen.add(await state());
      await sleep(50);
    }
    assert.ok(seen.has('stale') && seen.has('offline'), `saw ${[...seen].join(', ')}`);
  });

  it('ignores cards from mere members and cards naming another account', async () => {
    const net = new FakeNetwork();
    const owner = net.transport('owner');
    await owner.connect();
    await owner.createWorkspace(WS, { public: true });
    const member = net.transport('member');
    await member.connect();
    await member.joinWorkspace(WS);
    await assert.rejects(
      member.putState(
        WS,
        CARD_TYPE,
        'agt-memberaaaaaaaaaa',
        cardToJson(card('member', member.address)),
      ),
    );
    const liar = net.transport('liar');
    await liar.connect();
    await owner.invite(WS, liar.address);
    await liar.joinWorkspace(WS);
    const forged = card('owner', owner.address);
    await liar.putState(WS, CARD_TYPE, forged.id, cardToJson(forged));
    const rejected: string[] = [];
    const found = await readWorkspaceAgents(owner, WS, { reject: (r) => rejected.push(r) });
    assert.equal(found.length, 0);
    assert.match(rejected[0] ?? '', /does not name fake:liar/);
  });

  it('rejects malformed cards with the field named, and merges sightings by agent id', () => {
    assert.match(parseCard({ v: 1, id: 'x' }) as string, /^id: /);
    assert.match(
      parseCard({ ...cardToJson(card('a', 'fake:a')), capabilities: ['Bad Name'] }) as string,
      /capabilities/,
    );
    const c1 = card('alpha', 'fake:a', { updated: 1 });
    const c2 = card('alpha', 'fake:a', { updated: 2, name: 'alpha-renamed' });
    const merged = mergeSightings(
      [
        {
          card: c1,
          network: 'matrix',
          workspace: '#x',
          account: 'fake:a',
          heartbeat: {
            at: 1000,
            intervalMs: 200,
            status: 'running',
            load: { cpuPercent: 1, jobs: 0 },
          },
        },
        { card: c2, network: 'xmpp', workspace: 'y@c', account: 'fake:a' },
      ],
      1100,
    );
    assert.equal(merged.length, 1);
    assert.equal(merged[0]?.card.name, 'alpha-renamed');
    assert.equal(merged[0]?.liveness, 'active');
    assert.equal(merged[0]?.seenIn.length, 2);
    assert.equal(livenessOf(undefined, 0), 'offline');
    // Another account reusing the id (with its own address, as readers insist) is not merged.
    const forged = card('alpha', 'fake:mallory', { updated: 3, name: 'alpha' });
    const apart = mergeSightings(
      [
        { card: c2, network: 'matrix', workspace: '#x', account: 'fake:a' },
        { card: forged, network: 'matrix', workspace: '#x', account: 'fake:mallory' },
      ],
      1100,
    );
    assert.equal(apart.length, 2);
    assert.deepEqual(apart.map((x) => x.accounts).sort(), [['fake:a'], ['fake:mallory']]);
  });
});
