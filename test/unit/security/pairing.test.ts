import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import {
  PAIRING_CODE_DIGITS,
  newPairingSession,
  pairingCode,
  type PairingSide,
} from '../../../src/security/pairing.ts';
import { generateSigningKey } from '../../../src/security/signing-key.ts';

const alice: PairingSide = { agent: 'agt-aaaaaaaaaaaaaaaa', key: generateSigningKey().publicRaw };
const bob: PairingSide = { agent: 'agt-bbbbbbbbbbbbbbbb', key: generateSigningKey().publicRaw };
const session = newPairingSession();

describe('pairing code', () => {
  it('is twelve digits in four groups of three, about 40 bits', () => {
    assert.equal(PAIRING_CODE_DIGITS, 12);
    assert.match(pairingCode(alice, bob, session), /^\d{3} \d{3} \d{3} \d{3}$/);
    assert.ok(Math.log2(10 ** PAIRING_CODE_DIGITS) > 39);
  });

  it('is the same on both sides', () => {
    assert.equal(pairingCode(alice, bob, session), pairingCode(bob, alice, session));
  });

  it('is stable for the same inputs', () => {
    const fixed: [PairingSide, PairingSide, string] = [
      { agent: 'agt-aaaaaaaaaaaaaaaa', key: `ed25519:${'A'.repeat(43)}` },
      { agent: 'agt-bbbbbbbbbbbbbbbb', key: `ed25519:${'B'.repeat(42)}A` },
      'c2Vzc2lvbi12YWx1ZS0xMjM',
    ];
    assert.equal(pairingCode(...fixed), pairingCode(...fixed));
    assert.match(pairingCode(...fixed), /^\d{3} \d{3} \d{3} \d{3}$/);
  });

  it('changes when any input changes', () => {
    const code = pairingCode(alice, bob, session);
    const carolKey = generateSigningKey().publicRaw;
    const variants = [
      pairingCode(alice, bob, newPairingSession()),
      pairingCode(alice, { ...bob, key: carolKey }, session),
      pairingCode({ ...alice, key: carolKey }, bob, session),
      pairingCode(alice, { ...bob, agent: 'agt-cccccccccccccccc' }, session),
      pairingCode({ ...alice, agent: 'agt-dddddddddddddddd' }, bob, session),
      // Swapping which agent id goes with which key is a different pairing too.
      pairingCode({ ...alice, agent: bob.agent }, { ...bob, agent: alice.agent }, session),
    ];
    for (const [index, other] of variants.entries())
      assert.notEqual(other, code, `variant ${String(index)}`);
  });

  it('refuses inputs that are not keys, agents or a long enough session', () => {
    const usage = (run: () => unknown, message: RegExp): void => {
      assert.throws(run, (e: unknown) => e instanceof UsageError && message.test(e.message));
    };
    usage(() => pairingCode(alice, alice, session), /same key/);
    usage(() => pairingCode(alice, { ...bob, key: 'ed25519:nope' }, session), /public key/);
    usage(() => pairingCode({ ...alice, agent: 'alice' }, bob, session), /agent id/);
    usage(() => pairingCode(alice, bob, 'short'), /session value of at least 16/);
  });
});
