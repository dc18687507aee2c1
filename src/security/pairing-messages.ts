/**
 * The messages of a pairing (specs/protocol.md §8.9): `pair.start`, `pair.accept`,
 * `pair.reveal`, `pair.confirm` and `pair.cancel`, version 1, sent directly between the two
 * accounts. This file turns them into payloads and back, checking every field; the exchange
 * itself is pairing-exchange.ts.
 */
import { createHash } from 'node:crypto';
import { canonicalBytes } from '../protocol/canonical-json.ts';
import { isAgentId } from '../protocol/agent-id.ts';
import { quote } from '../errors.ts';
import type { JsonObject, Payload } from '../transport/transport.ts';
import { isPublicRaw } from './signing-key.ts';

/** The payload version of every pairing message. */
export const PAIRING_VERSION = 1;

/** The pairing messages, in the order they are sent. */
export const PAIRING_KINDS = [
  'pair.start',
  'pair.accept',
  'pair.reveal',
  'pair.confirm',
  'pair.cancel',
] as const;

/** One of the pairing message kinds. */
export type PairingKind = (typeof PAIRING_KINDS)[number];

/** A pairing message as data; `pairing` ties the messages of one pairing together. */
export type PairingMessage =
  | {
      readonly type: 'pair.start';
      readonly pairing: string;
      readonly agent: string;
      readonly commitment: string;
    }
  | {
      readonly type: 'pair.accept';
      readonly pairing: string;
      readonly agent: string;
      readonly key: string;
      readonly share: string;
    }
  | {
      readonly type: 'pair.reveal';
      readonly pairing: string;
      readonly key: string;
      readonly share: string;
    }
  | { readonly type: 'pair.confirm'; readonly pairing: string }
  | { readonly type: 'pair.cancel'; readonly pairing: string; readonly reason: string };

/** Longest cancel reason carried; longer ones are cut. */
export const MAX_REASON = 300;

const TOKEN = /^[A-Za-z0-9_-]{22}$/;
const COMMITMENT = /^[0-9a-f]{64}$/;
/** Domain separation: this hash commits to a pairing key and share, and to nothing else. */
const COMMIT_CONTEXT = 'mx-agent pairing commitment v1';

/** True for `pair.start` … `pair.cancel`. */
export function isPairingKind(kind: string): kind is PairingKind {
  return (PAIRING_KINDS as readonly string[]).includes(kind);
}

/** True for a pairing id or a session share: unpadded base64url of exactly 16 bytes. */
export function isToken(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    TOKEN.test(value) &&
    Buffer.from(value, 'base64url').toString('base64url') === value
  );
}

/** The commitment `pair.start` carries: hex SHA-256 of canonical JSON of the key and share. */
export function commitmentOf(key: string, share: string): string {
  return createHash('sha256')
    .update(canonicalBytes({ context: COMMIT_CONTEXT, key, share }))
    .digest('hex');
}

/** The session value of the code: the initiator's share, then the responder's. */
export function sessionOf(initiatorShare: string, responderShare: string): string {
  return `${initiatorShare}${responderShare}`;
}

/** The payload that carries `message`. */
export function pairingPayload(message: PairingMessage): Payload {
  const { type, ...body } = message;
  return { kind: type, version: PAIRING_VERSION, body };
}

/** The pairing id a payload body names, if it names one. */
export function pairingIdOf(body: JsonObject): string | undefined {
  return isToken(body.pairing) ? body.pairing : undefined;
}

/** The message a pairing payload carries, or a sentence saying what is wrong with it. */
export function parsePairingMessage(payload: Payload): PairingMessage | string {
  const { kind, version, body } = payload;
  if (!isPairingKind(kind)) return `expected a pairing message (pair.…), got ${quote(kind)}`;
  if (version !== PAIRING_VERSION)
    return `${kind}: expected version ${String(PAIRING_VERSION)}, got ${quote(version)}`;
  const pairing = body.pairing;
  if (!isToken(pairing))
    return `${kind}: expected pairing to be 22 base64url characters, got ${quote(pairing)}`;
  const field = (name: string, ok: (v: unknown) => boolean, what: string): string | undefined =>
    ok(body[name])
      ? undefined
      : `${kind}: expected ${name} to be ${what}, got ${quote(body[name])}`;
  const agent = (): string | undefined => field('agent', isAgentId, 'an agent id like agt-…');
  const key = (): string | undefined => field('key', isPublicRaw, 'a public key like ed25519:…');
  const share = (): string | undefined => field('share', isToken, '22 base64url characters');
  switch (kind) {
    case 'pair.start': {
      const problem =
        agent() ??
        field('commitment', (v) => typeof v === 'string' && COMMITMENT.test(v), '64 hex digits');
      return (
        problem ?? { type: kind, pairing, agent: str(body.agent), commitment: str(body.commitment) }
      );
    }
    case 'pair.accept': {
      const problem = agent() ?? key() ?? share();
      return (
        problem ?? {
          type: kind,
          pairing,
          agent: str(body.agent),
          key: str(body.key),
          share: str(body.share),
        }
      );
    }
    case 'pair.reveal': {
      const problem = key() ?? share();
      return problem ?? { type: kind, pairing, key: str(body.key), share: str(body.share) };
    }
    case 'pair.confirm':
      return { type: kind, pairing };
    case 'pair.cancel': {
      // Shown in a terminal: no control characters, which could forge output there.
      const reason =
        typeof body.reason === 'string'
          ? body.reason.replace(/\p{Cc}/gu, ' ').slice(0, MAX_REASON)
          : '';
      return { type: kind, pairing, reason };
    }
  }
}

/** A field already checked to be a string. */
function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
