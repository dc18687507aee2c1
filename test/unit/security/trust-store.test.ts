import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, RefusedError, UsageError } from '../../../src/errors.ts';
import { generateSigningKey } from '../../../src/security/signing-key.ts';
import { TrustStore } from '../../../src/security/trust-store.ts';

const root = mkdtempSync(join(tmpdir(), 'mx-trust-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
let count = 0;
const freshStore = (): TrustStore => new TrustStore(join(root, `config-${String((count += 1))}`));

const BOB = 'agt-bbbbbbbbbbbbbbbb';
const CAROL = 'agt-cccccccccccccccc';
const bobKey = generateSigningKey();
const newBobKey = generateSigningKey();
const carolKey = generateSigningKey();
const ADDED = '2026-01-02T03:04:05.000Z';

describe('trust store', () => {
  it('starts empty and lists what was added, in a private file', () => {
    const store = freshStore();
    assert.deepEqual(store.list(), []);
    const entry = store.add({
      agent: BOB,
      key: bobKey.publicRaw,
      label: 'bob laptop',
      via: 'manual',
      added: ADDED,
    });
    assert.deepEqual(entry, {
      agent: BOB,
      key: bobKey.publicRaw,
      fingerprint: bobKey.fingerprint,
      label: 'bob laptop',
      added: ADDED,
      via: 'manual',
    });
    assert.deepEqual(store.list(), [entry]);
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    const file = JSON.parse(readFileSync(store.path, 'utf8')) as { v: number; agents: unknown[] };
    assert.equal(file.v, 1);
    assert.deepEqual(file.agents, [entry]);
  });

  it('looks up by agent and fingerprint together', () => {
    const store = freshStore();
    store.add({ agent: BOB, key: bobKey.publicRaw, via: 'pairing' });
    assert.equal(store.lookup(BOB, bobKey.fingerprint)?.via, 'pairing');
    assert.equal(store.lookup(BOB, carolKey.fingerprint), undefined, 'another key of bob');
    assert.equal(store.lookup(CAROL, bobKey.fingerprint), undefined, "bob's key for carol");
  });

  it('adding the same agent and key again keeps one entry and updates its label', () => {
    const store = freshStore();
    store.add({ agent: BOB, key: bobKey.publicRaw, via: 'manual', added: ADDED });
    store.add({ agent: BOB, key: bobKey.publicRaw, label: 'renamed', via: 'manual' });
    assert.equal(store.list().length, 1);
    assert.equal(store.list()[0]?.label, 'renamed');
    assert.equal(store.list()[0]?.added, ADDED, 'still added when first trusted');
  });

  it('refuses another key for a trusted agent unless replacing, as an impostor would need', () => {
    const store = freshStore();
    store.add({ agent: BOB, key: bobKey.publicRaw, via: 'manual' });
    assert.throws(
      () => store.add({ agent: BOB, key: newBobKey.publicRaw, via: 'manual' }),
      (error: unknown) =>
        error instanceof RefusedError &&
        error.message.startsWith(
          `${BOB}'s key changed: it is trusted with ${bobKey.fingerprint}, and the key offered now is ${newBobKey.fingerprint}.`,
        ) &&
        error.message.includes(`\`mx-agent trust add ${BOB} ${newBobKey.publicRaw} --replace\``),
    );
    assert.equal(store.lookup(BOB, bobKey.fingerprint)?.agent, BOB, 'the old key stays trusted');
    store.add({ agent: BOB, key: newBobKey.publicRaw, via: 'manual' }, { replace: true });
    assert.equal(store.lookup(BOB, bobKey.fingerprint), undefined, 'the old key is gone');
    assert.equal(store.lookup(BOB, newBobKey.fingerprint)?.agent, BOB);
    assert.equal(store.list().length, 1);
  });

  it('removes by agent id or by fingerprint, and says so when nothing matches', () => {
    const store = freshStore();
    store.add({ agent: BOB, key: bobKey.publicRaw, via: 'manual' });
    store.add({ agent: CAROL, key: carolKey.publicRaw, via: 'manual' });
    assert.deepEqual(
      store.remove(carolKey.fingerprint).map((e) => e.agent),
      [CAROL],
    );
    assert.deepEqual(
      store.remove(BOB).map((e) => e.fingerprint),
      [bobKey.fingerprint],
    );
    assert.deepEqual(store.list(), []);
    assert.throws(
      () => store.remove(BOB),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message ===
          `no trusted agent or key matches "${BOB}"; \`mx-agent trust list\` shows them`,
    );
  });

  it('validates what is added', () => {
    const store = freshStore();
    const usage = (entry: Parameters<TrustStore['add']>[0], message: RegExp): void => {
      assert.throws(
        () => store.add(entry),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
    };
    usage(
      { agent: 'bob', key: bobKey.publicRaw, via: 'manual' },
      /^expected an agent id like agt-…, got "bob"$/,
    );
    usage(
      { agent: BOB, key: 'ed25519:short', via: 'manual' },
      /^expected a public key like ed25519:/,
    );
    usage(
      { agent: BOB, key: bobKey.publicRaw, fingerprint: carolKey.fingerprint, via: 'manual' },
      /not SHA256:.*: the key or the fingerprint was mistyped$/,
    );
    usage(
      { agent: BOB, key: bobKey.publicRaw, label: 'a\u001b[31mred', via: 'manual' },
      /^label: expected/,
    );
    usage(
      { agent: BOB, key: bobKey.publicRaw, added: 'yesterday', via: 'manual' },
      /^added: expected an ISO/,
    );
    assert.deepEqual(store.list(), []);
  });

  it('refuses a trust file others may write, and a damaged one', () => {
    const store = freshStore();
    store.add({ agent: BOB, key: bobKey.publicRaw, via: 'manual' });
    chmodSync(store.path, 0o666);
    assert.throws(
      () => store.list(),
      (e: unknown) => e instanceof ConfigError && e.message.includes(`chmod 600 ${store.path}`),
    );
    writeFileSync(store.path, '{"v":1,"agents":[{"agent":"agt-x"}]}');
    chmodSync(store.path, 0o600);
    assert.throws(
      () => store.lookup(BOB, bobKey.fingerprint),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.startsWith(`${store.path} is not a valid trust file (entry 1 is malformed)`),
    );
  });

  it('recomputes fingerprints from the keys, never trusting the file for them', () => {
    const store = freshStore();
    store.add({ agent: BOB, key: bobKey.publicRaw, via: 'manual' });
    const text = readFileSync(store.path, 'utf8').replace(bobKey.fingerprint, carolKey.fingerprint);
    writeFileSync(store.path, text);
    assert.equal(store.lookup(BOB, carolKey.fingerprint), undefined);
    assert.equal(store.lookup(BOB, bobKey.fingerprint)?.agent, BOB);
  });
});
