import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DiscoveredAgent } from '../../../src/discovery/agents.ts';
import type { TrustEntry } from '../../../src/security/trust-store.ts';
import { FakeNetwork } from '../../../src/transport/fake.ts';
import { workerResolver } from '../../../src/workflow/worker-resolver.ts';
import { parseWorkflow } from '../../../src/workflow/workflow-parse.ts';

function agent(id: string, capabilities: string[], extra: Partial<DiscoveredAgent> = {}) {
  return {
    id,
    card: {
      v: 1,
      id,
      name: id.slice(4, 8),
      kind: 'serve',
      capabilities,
      skills: [],
      addresses: [{ network: 'fake', address: `${id}@fake` }],
      signingKey: `SHA256:${id}`,
      software: { name: 'mx-agent', version: '0' },
      heartbeatMs: 60_000,
      updated: 0,
    },
    liveness: 'active',
    seenIn: [],
    accounts: [],
    ...extra,
  } as unknown as DiscoveredAgent;
}

/** The reason a resolver gave, or a note that it picked someone. */
function reason(picked: ReturnType<ReturnType<typeof workerResolver>>): string {
  return typeof picked === 'string' ? picked : `picked ${picked.agent}`;
}

const trustOf = (...ids: string[]): TrustEntry[] =>
  ids.map((id) => ({ agent: id, fingerprint: `SHA256:${id}`, key: `ed25519:${id}` }) as TrustEntry);

const workflow = parseWorkflow(
  `name: r
jobs:
  a:
    runs-on: { capabilities: [build] }
    working-directory: /w
    steps:
      - run: make
  t:
    runs-on: { capabilities: [build] }
    steps:
      - uses: lint
`,
  'wf.yml',
);

describe('the worker resolver', () => {
  const transport = new FakeNetwork().transport('boss');
  const A = 'agt-aaaaaaaaaaaaaaaa';
  const B = 'agt-bbbbbbbbbbbbbbbb';
  const C = 'agt-cccccccccccccccc';
  const runsOn = { capabilities: ['build'] };

  it('spreads jobs over the live, trusted agents that match, and leaves out lost ones', () => {
    const resolve = workerResolver(
      [transport],
      [agent(A, ['build']), agent(B, ['build']), agent(C, ['test'])],
      trustOf(A, B, C),
      workflow,
    );
    const picks = [1, 2, 3, 4].map(() => resolve(runsOn, 'a', new Set()));
    assert.deepEqual(
      picks.map((p) => (typeof p === 'string' ? p : p.agent)),
      [A, B, A, B],
    );
    const moved = resolve(runsOn, 'a', new Set([A]));
    assert.equal(typeof moved === 'string' ? moved : moved.agent, B);
    assert.equal(moved !== undefined && typeof moved !== 'string' && moved.transport, transport);
    assert.match(
      reason(resolve(runsOn, 'a', new Set([A, B]))),
      /every agent with build stopped answering/,
    );
  });

  it('says why no agent fits: none matches, not trusted, not active, no tool', () => {
    const none = workerResolver([transport], [agent(C, ['test'])], trustOf(C), workflow);
    assert.match(reason(none(runsOn, 'a', new Set())), /no agent with build in your workspaces/);
    const untrusted = workerResolver([transport], [agent(A, ['build'])], [], workflow);
    assert.match(
      reason(untrusted(runsOn, 'a', new Set())),
      /is not trusted here: check its fingerprint SHA256:agt-a/,
    );
    const stale = workerResolver(
      [transport],
      [agent(A, ['build'], { liveness: 'stale' })],
      trustOf(A),
      workflow,
    );
    assert.match(reason(stale(runsOn, 'a', new Set())), /no agent with build is active/);
    const noTool = workerResolver([transport], [agent(A, ['build'])], trustOf(A), workflow);
    assert.match(reason(noTool(runsOn, 't', new Set())), /offering the tool\(s\) lint/);
    const byId = workerResolver([transport], [], trustOf(A), workflow);
    assert.match(reason(byId({ agent: A }, 'a', new Set())), new RegExp(`no agent ${A} in`));
  });
});
