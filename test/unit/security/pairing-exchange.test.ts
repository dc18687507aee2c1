import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetworkError, RefusedError } from '../../../src/errors.ts';
import { newPairingSession, pairingCode } from '../../../src/security/pairing.ts';
import {
  PairingCancelledError,
  awaitPairing,
  initiatePairing,
  type PairingOptions,
  type PairingOutcome,
} from '../../../src/security/pairing-exchange.ts';
import {
  commitmentOf,
  pairingPayload,
  parsePairingMessage,
  sessionOf,
  type PairingMessage,
} from '../../../src/security/pairing-messages.ts';
import { generateSigningKey } from '../../../src/security/signing-key.ts';
import { FakeNetwork, type FakeTransport } from '../../../src/transport/fake.ts';
import type { Payload, Transport, TransportEvent } from '../../../src/transport/transport.ts';

const ALICE = { agent: 'agt-aaaaaaaaaaaaaaaa', key: generateSigningKey().publicRaw };
const BOB = { agent: 'agt-bbbbbbbbbbbbbbbb', key: generateSigningKey().publicRaw };
const MALLORY_KEY = generateSigningKey().publicRaw;

async function network(...names: string[]): Promise<FakeTransport[]> {
  const net = new FakeNetwork();
  const peers = names.map((n) => net.transport(n));
  for (const peer of peers) await peer.connect();
  return peers;
}

/**
 * Two people, one at each screen: each says yes when the other screen shows the same code
 * (or always `answer` when given), and stops looking when the pairing ends.
 */
function people(answers: { alice?: boolean; bob?: boolean } = {}) {
  const codes = { alice: Promise.withResolvers<string>(), bob: Promise.withResolvers<string>() };
  const seen: Record<string, string> = {};
  const person =
    (me: 'alice' | 'bob', other: 'alice' | 'bob', answer: boolean | undefined) =>
    async (code: string, _peer: unknown, signal: AbortSignal): Promise<boolean> => {
      seen[me] = code;
      codes[me].resolve(code);
      if (answer !== undefined) return answer;
      const aborted = new Promise<never>((_, reject) => {
        signal.addEventListener(
          'abort',
          () => {
            reject(signal.reason as Error);
          },
          { once: true },
        );
      });
      return (await Promise.race([codes[other].promise, aborted])) === code;
    };
  return {
    alice: person('alice', 'bob', answers.alice),
    bob: person('bob', 'alice', answers.bob),
    seen,
  };
}

/** `inner`, with every payload it delivers passed through `rewrite` first: a man in the middle. */
function tampered(inner: Transport, rewrite: (payload: Payload) => Payload): Transport {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'subscribe')
        return (listener: (e: TransportEvent) => void) =>
          target.subscribe((e) => {
            listener(e.type === 'payload' ? { ...e, payload: rewrite(e.payload) } : e);
          });
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/** The payloads `transport` receives from now on. */
function inboxOf(transport: Transport): Payload[] {
  const got: Payload[] = [];
  transport.subscribe((e) => {
    if (e.type === 'payload') got.push(e.payload);
  });
  return got;
}

function rewriteBody(payload: Payload, kind: string, body: Record<string, string>): Payload {
  return payload.kind === kind ? { ...payload, body: { ...payload.body, ...body } } : payload;
}

/** What a failed assertion shows of an outcome. */
const show = (value: unknown): string =>
  value instanceof Error ? `${value.name}: ${value.message}` : JSON.stringify(value);

const settle = async <T>(p: Promise<T>): Promise<T | Error> =>
  p.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));

function options(
  transport: Transport,
  self: typeof ALICE,
  compare: PairingOptions['compare'],
  extra: Partial<PairingOptions> = {},
): PairingOptions {
  return { transport, self, compare, timeoutMs: 5000, ...extra };
}

describe('pairing exchange', () => {
  it('pairs two agents: the same code on both screens, each side learns the other key', async () => {
    const [alice, bob] = await network('alice', 'bob');
    assert.ok(alice && bob);
    const person = people();
    const cards = { peers: [] as string[] };
    const waiting = awaitPairing(
      options(bob, BOB, person.bob, {
        cardKeys: (peer) => {
          cards.peers.push(peer.agent);
          return Promise.resolve([ALICE.key]);
        },
      }),
    );
    const started = initiatePairing('fake:bob', options(alice, ALICE, person.alice));
    const [a, b]: PairingOutcome[] = await Promise.all([started, waiting]);
    assert.ok(a && b);
    assert.match(a.code, /^\d{3} \d{3} \d{3} \d{3}$/);
    assert.equal(a.code, b.code);
    assert.deepEqual(person.seen, { alice: a.code, bob: a.code });
    assert.equal(a.pairing, b.pairing);
    assert.deepEqual([a.peer.agent, a.peer.key, a.peer.address], [BOB.agent, BOB.key, 'fake:bob']);
    assert.deepEqual(
      [b.peer.agent, b.peer.key, b.peer.address],
      [ALICE.agent, ALICE.key, 'fake:alice'],
    );
    assert.match(b.peer.fingerprint, /^SHA256:/);
    assert.deepEqual(cards.peers, [ALICE.agent], 'the card was checked once the key was known');
  });

  it('gives different codes when a man in the middle replaces the keys, and trusts nothing', async () => {
    const [alice, bob] = await network('alice', 'bob');
    assert.ok(alice && bob);
    // Mallory controls the server: bob sees mallory's key (with a commitment that fits it),
    // alice sees mallory's key instead of bob's.
    const share = newPairingSession();
    const toBob = tampered(bob, (p) =>
      rewriteBody(
        rewriteBody(p, 'pair.start', { commitment: commitmentOf(MALLORY_KEY, share) }),
        'pair.reveal',
        { key: MALLORY_KEY, share },
      ),
    );
    const toAlice = tampered(alice, (p) => rewriteBody(p, 'pair.accept', { key: MALLORY_KEY }));
    const person = people();
    const [b, a] = await Promise.all([
      settle(awaitPairing(options(toBob, BOB, person.bob))),
      settle(initiatePairing('fake:bob', options(toAlice, ALICE, person.alice))),
    ]);
    assert.notEqual(person.seen.alice, person.seen.bob);
    for (const outcome of [a, b]) {
      assert.ok(outcome instanceof RefusedError, show(outcome));
      assert.match(outcome.message, /codes do not match|cancelled the pairing/);
      assert.match(outcome.message, /nothing was trusted$/);
    }
  });

  it('trusts nothing on either side when one person says no', async () => {
    const [alice, bob] = await network('alice', 'bob');
    assert.ok(alice && bob);
    const person = people({ alice: true, bob: false });
    const [b, a] = await Promise.all([
      settle(awaitPairing(options(bob, BOB, person.bob))),
      settle(initiatePairing('fake:bob', options(alice, ALICE, person.alice))),
    ]);
    assert.ok(b instanceof RefusedError);
    assert.match(b.message, /^the codes do not match \(this side showed [\d ]{15}\)/);
    assert.ok(a instanceof PairingCancelledError, show(a));
    assert.match(a.message, /^fake:bob cancelled the pairing: "the codes do not match/);
  });

  it('refuses a reveal that does not match the commitment, and tells the other side', async () => {
    const [alice, bob] = await network('alice', 'bob');
    assert.ok(alice && bob);
    const toBob = tampered(bob, (p) => rewriteBody(p, 'pair.reveal', { key: MALLORY_KEY }));
    const person = people();
    const [b, a] = await Promise.all([
      settle(awaitPairing(options(toBob, BOB, person.bob))),
      settle(initiatePairing('fake:bob', options(alice, ALICE, person.alice))),
    ]);
    assert.ok(b instanceof RefusedError);
    assert.match(
      b.message,
      /^fake:alice revealed a key and session share that do not match the commitment of its pair\.start \(expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}\)/,
    );
    assert.equal(person.seen.bob, undefined, 'bob was never shown a code');
    assert.ok(a instanceof PairingCancelledError, show(a));
    assert.match(a.message, /fake:bob cancelled the pairing: .*commitment/);
  });

  it('times out with nothing trusted when nobody answers', async () => {
    const [alice] = await network('alice');
    assert.ok(alice);
    const started = Date.now();
    const a = await settle(
      initiatePairing('fake:bob', options(alice, ALICE, people().alice, { timeoutMs: 150 })),
    );
    assert.ok(a instanceof NetworkError, show(a));
    assert.equal(
      a.message,
      'pairing timed out after 150 ms waiting for pair.accept from fake:bob; nothing was trusted',
    );
    assert.ok(Date.now() - started < 2000);
    const w = await settle(awaitPairing(options(alice, ALICE, people().alice, { timeoutMs: 150 })));
    assert.ok(w instanceof NetworkError);
    assert.match(w.message, /waiting for a pairing request; nothing was trusted$/);
  });

  it('times out while the other person does not answer', async () => {
    const [alice, bob] = await network('alice', 'bob');
    assert.ok(alice && bob);
    const never = (_c: string, _p: unknown, signal: AbortSignal): Promise<boolean> =>
      new Promise((_, reject) => {
        signal.addEventListener(
          'abort',
          () => {
            reject(signal.reason as Error);
          },
          { once: true },
        );
      });
    const [b, a] = await Promise.all([
      settle(awaitPairing(options(bob, BOB, never, { timeoutMs: 300 }))),
      settle(
        initiatePairing(
          'fake:bob',
          options(alice, ALICE, people({ alice: true }).alice, { timeoutMs: 300 }),
        ),
      ),
    ]);
    assert.ok(a instanceof NetworkError || a instanceof PairingCancelledError, show(a));
    assert.ok(b instanceof NetworkError, show(b));
    assert.match(b.message, /timed out after 300 ms waiting for the codes to be compared/);
  });

  it('ignores a request kept while nobody waited once it is older than the deadline', async () => {
    const net = new FakeNetwork();
    const alice = net.transport('alice');
    const bob = net.transport('bob');
    await alice.connect();
    const start = pairingPayload({
      type: 'pair.start',
      pairing: newPairingSession(),
      agent: ALICE.agent,
      commitment: commitmentOf(ALICE.key, newPairingSession()),
    });
    await alice.send({ kind: 'direct', address: 'fake:bob' }, { type: 'payload', payload: start });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const shown: string[] = [];
    const waiting = settle(
      awaitPairing(
        options(bob, BOB, people().bob, {
          timeoutMs: 100,
          progress: (e) => shown.push(e.type),
        }),
      ),
    );
    await bob.connect();
    const b = await waiting;
    assert.ok(b instanceof NetworkError, show(b));
    assert.deepEqual(shown, ['waiting'], 'the old request was not taken up');
  });

  it('ignores other pairings and other accounts, and refuses a malformed message of its own', async () => {
    const [alice, bob, carol] = await network('alice', 'bob', 'carol');
    assert.ok(alice && bob && carol);
    const atBob = inboxOf(bob);
    const started = settle(initiatePairing('fake:bob', options(alice, ALICE, people().alice)));
    await new Promise((resolve) => setImmediate(resolve));
    const start = parsePairingMessage(atBob[0] ?? { kind: 'none', version: 1, body: {} });
    assert.ok(typeof start !== 'string' && start.type === 'pair.start', show(start));
    const accept = (from: Transport, message: PairingMessage | Payload): Promise<unknown> =>
      from.send(
        { kind: 'direct', address: 'fake:alice' },
        { type: 'payload', payload: 'kind' in message ? message : pairingPayload(message) },
      );
    const good = { agent: BOB.agent, key: BOB.key, share: newPairingSession() };
    // Another pairing's answer, and carol answering for bob: ignored.
    await accept(bob, { type: 'pair.accept', pairing: newPairingSession(), ...good });
    await accept(carol, { type: 'pair.accept', pairing: start.pairing, ...good });
    await accept(bob, {
      kind: 'pair.accept',
      version: 1,
      body: { pairing: start.pairing, ...good, key: 'ed25519:not-a-key' },
    });
    const a = await started;
    assert.ok(a instanceof RefusedError, show(a));
    assert.equal(
      a.message,
      'fake:bob sent a malformed pairing message (pair.accept: expected key to be a public key like ed25519:…, got "ed25519:not-a-key"); nothing was trusted',
    );
    const cancel = atBob
      .map(parsePairingMessage)
      .find((m) => typeof m !== 'string' && m.type === 'pair.cancel');
    assert.ok(cancel && typeof cancel !== 'string' && cancel.type === 'pair.cancel');
    assert.equal(cancel.pairing, start.pairing);
    assert.match(cancel.reason, /malformed/);
  });

  it('refuses a key the agent card contradicts: an impostor', async () => {
    const [alice, bob] = await network('alice', 'bob');
    assert.ok(alice && bob);
    const person = people();
    const [b, a] = await Promise.all([
      settle(awaitPairing(options(bob, BOB, person.bob))),
      settle(
        initiatePairing(
          'fake:bob',
          options(alice, ALICE, person.alice, {
            cardKeys: () => Promise.resolve([MALLORY_KEY]),
          }),
        ),
      ),
    ]);
    assert.ok(a instanceof RefusedError, show(a));
    assert.match(
      a.message,
      /^the card of agt-bbbbbbbbbbbbbbbb at fake:bob carries the key SHA256:\S+, but the pairing offered SHA256:\S+: someone may be impersonating it; nothing was trusted$/,
    );
    assert.deepEqual(person.seen, {}, 'no code was shown on either side');
    assert.ok(b instanceof PairingCancelledError, show(b));
  });

  it('refuses an answer that offers its own key back', async () => {
    const [alice, bob] = await network('alice', 'bob');
    assert.ok(alice && bob);
    const [, a] = await Promise.all([
      settle(awaitPairing(options(bob, { ...BOB, key: ALICE.key }, people().bob))),
      settle(initiatePairing('fake:bob', options(alice, ALICE, people().alice))),
    ]);
    assert.ok(a instanceof RefusedError);
    assert.match(a.message, /^fake:bob offered this agent's own key/);
  });
});

describe('pairing messages', () => {
  it('match the example of specs/protocol.md §8.9', () => {
    const alice = {
      agent: 'agt-abcdefghijklmnop',
      key: 'ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
    };
    const bob = {
      agent: 'agt-qrstuvwxyz234567',
      key: 'ed25519:PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw',
    };
    const [aliceShare, bobShare, pairing] = [1, 2, 7].map((b) =>
      Buffer.alloc(16, b).toString('base64url'),
    ) as [string, string, string];
    const commitment = commitmentOf(alice.key, aliceShare);
    assert.equal(commitment, '1cceb46b312a897d49509fd3bafc3b0e45cfb0e9cc0e8421505c234c22844c6d');
    assert.deepEqual(
      pairingPayload({ type: 'pair.start', pairing, agent: alice.agent, commitment }),
      {
        kind: 'pair.start',
        version: 1,
        body: { pairing: 'BwcHBwcHBwcHBwcHBwcHBw', agent: alice.agent, commitment },
      },
    );
    const session = sessionOf(aliceShare, bobShare);
    assert.equal(session, 'AQEBAQEBAQEBAQEBAQEBAQAgICAgICAgICAgICAgICAg');
    assert.equal(pairingCode(alice, bob, session), '686 541 139 763');
  });

  it('round-trip, and say which field is wrong', () => {
    const message: PairingMessage = {
      type: 'pair.reveal',
      pairing: newPairingSession(),
      key: ALICE.key,
      share: newPairingSession(),
    };
    assert.deepEqual(parsePairingMessage(pairingPayload(message)), message);
    const bad = (body: Record<string, unknown>, kind = 'pair.reveal', version = 1): unknown =>
      parsePairingMessage({
        kind,
        version,
        body: { ...pairingPayload(message).body, ...body } as never,
      });
    assert.equal(
      bad({ share: 'AQEBAQEBAQEBAQEBAQEBAR' }),
      'pair.reveal: expected share to be 22 base64url characters, got "AQEBAQEBAQEBAQEBAQEBAR"',
    );
    assert.equal(
      bad({ pairing: 7 }),
      'pair.reveal: expected pairing to be 22 base64url characters, got 7',
    );
    assert.equal(bad({}, 'pair.reveal', 2), 'pair.reveal: expected version 1, got 2');
    assert.equal(
      bad({ agent: 'bob', commitment: 'x' }, 'pair.start'),
      'pair.start: expected agent to be an agent id like agt-…, got "bob"',
    );
  });
});
