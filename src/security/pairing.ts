/**
 * Pairing codes (design.md §6): instead of reading fingerprints aloud, the two people compare
 * a short code both agents derive from both agents' ids and public keys and a random session
 * value — a short authentication string (SAS), as in Matrix's and ZRTP's decimal SAS. Equal
 * codes mean both sides hold the same two keys; then each adds the other with `via: pairing`.
 *
 * The code has ~39.9 bits (12 digits). A SAS is only as strong as its exchange: the messages
 * that carry the keys and the session value must commit to them (one side first sends a hash
 * of its key and its share of the session, and reveals them only after seeing the other's),
 * or a man in the middle who picks both keys can search for a collision in ~2^20 tries.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UsageError } from '../errors.ts';
import { isAgentId } from '../protocol/agent-id.ts';
import { canonicalBytes } from '../protocol/canonical-json.ts';
import { isPublicRaw } from './signing-key.ts';

/** One side of a pairing: its agent id and its public key (`ed25519:…`). */
export interface PairingSide {
  readonly agent: string;
  readonly key: string;
}

/** Digits in a code; 10^12 ≈ 2^39.9. */
export const PAIRING_CODE_DIGITS = 12;

const SESSION_BYTES = 16;
/** Domain separation: this hash is a pairing code of this version, and nothing else. */
const CONTEXT = 'mx-agent pairing code v1';

/** A fresh session value: base64url of 16 random bytes. */
export function newPairingSession(): string {
  return randomBytes(SESSION_BYTES).toString('base64url');
}

/**
 * The code both people compare, as four groups of three digits (`482 193 774 020`). The same
 * whichever side computes it (the sides are sorted), and different when any input differs.
 */
export function pairingCode(one: PairingSide, other: PairingSide, session: string): string {
  for (const side of [one, other]) {
    if (!isAgentId(side.agent))
      throw new UsageError(`expected an agent id like agt-…, got ${JSON.stringify(side.agent)}`);
    if (!isPublicRaw(side.key))
      throw new UsageError(`expected a public key like ed25519:…, got ${JSON.stringify(side.key)}`);
  }
  if (one.key === other.key) throw new UsageError('both sides of a pairing have the same key');
  if (!/^[A-Za-z0-9_-]{22,}$/.test(session))
    throw new UsageError(`expected a session value of at least ${SESSION_BYTES} base64url bytes`);
  const sides = [one, other]
    .map((side) => ({ agent: side.agent, key: side.key }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  const digest = createHash('sha256')
    .update(canonicalBytes({ context: CONTEXT, session, sides }))
    .digest();
  // 64 bits reduced mod 10^12: the bias (< 2^-24) is far below anything a person could use.
  const value = digest.readBigUInt64BE(0) % 10n ** BigInt(PAIRING_CODE_DIGITS);
  const digits = value.toString().padStart(PAIRING_CODE_DIGITS, '0');
  return digits.replace(/(\d{3})(?=\d)/g, '$1 ');
}
