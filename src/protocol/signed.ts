/**
 * Signed envelopes (specs/protocol.md, "Signed envelopes"; design.md §4, §6): a request to act,
 * or a result, wrapped with who sent it, which key signed it, a nonce and a validity window.
 * The Ed25519 signature covers the canonical JSON of the whole envelope except `sig`, unknown
 * fields included, so a newer peer's extra fields survive an older one and cannot be altered.
 * This module only knows keys as `KeyObject`s and signers; which keys to trust is security's.
 */
import { randomBytes, verify, type KeyObject } from 'node:crypto';
import { UsageError, messageOf } from '../errors.ts';
import type { JsonObject, JsonValue } from '../transport/transport.ts';
import { isAgentId } from './agent-id.ts';
import { canonicalBytes, canonicalJson } from './canonical-json.ts';

/** The envelope format version, field `v`. */
export const ENVELOPE_VERSION = 1;

/** Largest envelope, as canonical UTF-8 JSON: it must fit a payload body (protocol.md §1). */
export const MAX_ENVELOPE_BYTES = 32 * 1024;

/** A payload kind (protocol.md §1): dotted lower-case names such as `task.request`. */
export const KIND = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;

/** A key fingerprint: `SHA256:` and the unpadded base64url of a SHA-256 digest. */
export const FINGERPRINT = /^SHA256:[A-Za-z0-9_-]{43}$/;

const MAX_KIND_LENGTH = 128;
const NONCE_BYTES = 16;
const SIGNATURE_BYTES = 64;
/** The fields every envelope has; any other field (such as `re`) is an extension, kept and signed. */
const RESERVED = ['v', 'kind', 'agent', 'key', 'nonce', 'issued', 'expires', 'body', 'sig'];

/** A signed request or result, as it travels. Unknown fields are kept as they came. */
export interface SignedEnvelope {
  readonly v: 1;
  /** What it is, e.g. `task.request`. */
  readonly kind: string;
  /** The sender's agent id (`agt-…`). */
  readonly agent: string;
  /** Fingerprint of the key that signed it (`SHA256:…`). */
  readonly key: string;
  /** base64url of 16 random bytes, never reused by the sender. */
  readonly nonce: string;
  /** When it was signed, ms since the epoch. */
  readonly issued: number;
  /** After this (ms since the epoch) it must be refused. */
  readonly expires: number;
  readonly body: JsonObject;
  /** base64url of the Ed25519 signature over `signatureInput(envelope)`. */
  readonly sig: string;
  readonly [field: string]: JsonValue;
}

/** What can sign an envelope: a signing key, seen from the protocol side. */
export interface EnvelopeSigner {
  /** Fingerprint of the public key, written into the envelope's `key`. */
  readonly fingerprint: string;
  /** The Ed25519 signature of `bytes`. */
  sign(bytes: Uint8Array): Uint8Array;
}

/** What the signer says; the envelope adds the nonce, the window and the signature. */
export interface EnvelopeContent {
  readonly kind: string;
  readonly agent: string;
  readonly body: JsonObject;
  /** How long the envelope stays valid, from `now`. */
  readonly lifetimeMs: number;
  /** Signing time, ms since the epoch; defaults to the clock. */
  readonly now?: number;
  /** Extra top-level fields (such as `re` on results); they are signed like the rest. */
  readonly fields?: JsonObject;
}

/** A fresh nonce: base64url of 16 random bytes. */
export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64url');
}

/** Sign `content` with `key`; throws a UsageError when it cannot make a valid envelope. */
export function signEnvelope(key: EnvelopeSigner, content: EnvelopeContent): SignedEnvelope {
  const issued = content.now ?? Date.now();
  const { lifetimeMs } = content;
  if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs <= 0)
    throw new UsageError(`lifetimeMs: expected a positive integer, got ${String(lifetimeMs)}`);
  const clash = Object.keys(content.fields ?? {}).find((name) => RESERVED.includes(name));
  if (clash !== undefined)
    throw new UsageError(`fields: "${clash}" is an envelope field and cannot be set as an extra`);
  const unsigned = {
    ...content.fields,
    v: ENVELOPE_VERSION,
    kind: content.kind,
    agent: content.agent,
    key: key.fingerprint,
    nonce: newNonce(),
    issued,
    expires: issued + lifetimeMs,
    body: content.body,
  };
  const sig = Buffer.from(key.sign(signatureInput(unsigned))).toString('base64url');
  const parsed = parseEnvelope({ ...unsigned, sig });
  if (typeof parsed === 'string') throw new UsageError(`cannot sign this envelope: ${parsed}`);
  return parsed;
}

/**
 * Check the shape of an envelope that arrived: a SignedEnvelope, or a sentence saying what is
 * wrong with it. Never throws. The signature itself is checked by `verifySignature`.
 */
export function parseEnvelope(json: unknown): SignedEnvelope | string {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return 'expected a signed envelope (a JSON object)';
  const fields = json as Record<string, unknown>;
  const problem = shapeProblem(fields);
  if (problem !== undefined) return problem;
  let text: string;
  try {
    text = canonicalJson(fields);
  } catch (error) {
    return messageOf(error);
  }
  const size = Buffer.byteLength(text);
  if (size > MAX_ENVELOPE_BYTES)
    return `the envelope is ${size} bytes as canonical JSON, more than the ${MAX_ENVELOPE_BYTES} allowed`;
  return { ...fields } as SignedEnvelope;
}

/** The bytes the signature covers: canonical JSON of every field but `sig`. */
export function signatureInput(envelope: Readonly<Record<string, unknown>>): Uint8Array {
  const { sig: _sig, ...signed } = envelope;
  return canonicalBytes(signed);
}

/** True when `envelope.sig` is a valid signature by `publicKey`. Never throws, on any input. */
export function verifySignature(envelope: SignedEnvelope, publicKey: KeyObject): boolean {
  try {
    if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519') return false;
    if (!isBase64Url(envelope.sig, SIGNATURE_BYTES)) return false;
    const signature = Buffer.from(envelope.sig, 'base64url');
    return verify(null, signatureInput(envelope), publicKey, signature);
  } catch {
    return false;
  }
}

/** The first thing wrong with the known fields, or undefined. */
function shapeProblem(json: Record<string, unknown>): string | undefined {
  if (json.v !== ENVELOPE_VERSION)
    return `v: expected ${ENVELOPE_VERSION}, got ${short(json.v)} (an unsupported envelope version)`;
  const { kind, agent, key, nonce, body, re } = json;
  if (typeof kind !== 'string' || kind.length > MAX_KIND_LENGTH || !KIND.test(kind))
    return `kind: expected a dotted lower-case name like task.request, got ${short(kind)}`;
  if (!isAgentId(agent)) return `agent: expected an agent id like agt-…, got ${short(agent)}`;
  if (typeof key !== 'string' || !FINGERPRINT.test(key))
    return `key: expected a key fingerprint like SHA256:…, got ${short(key)}`;
  if (!isBase64Url(nonce, NONCE_BYTES))
    return `nonce: expected base64url of ${NONCE_BYTES} bytes, got ${short(nonce)}`;
  for (const name of ['issued', 'expires']) {
    const time = json[name];
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0)
      return `${name}: expected a time in ms since the epoch, got ${short(time)}`;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return `body: expected a JSON object, got ${short(body)}`;
  if (!isBase64Url(json.sig, SIGNATURE_BYTES))
    return `sig: expected base64url of a ${SIGNATURE_BYTES}-byte Ed25519 signature, got ${short(json.sig)}`;
  if (re !== undefined && !isBase64Url(re, NONCE_BYTES))
    return `re: expected the nonce of a request, got ${short(re)}`;
  return undefined;
}

/** base64url without padding of exactly `bytes` bytes, in its one canonical spelling. */
function isBase64Url(value: unknown, bytes: number): value is string {
  if (typeof value !== 'string' || value.length !== Math.ceil((bytes * 4) / 3)) return false;
  if (!/^[A-Za-z0-9_-]*$/.test(value)) return false;
  // Node's decoder ignores stray trailing bits; re-encoding tells the one spelling apart.
  return Buffer.from(value, 'base64url').toString('base64url') === value;
}

function short(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    text = `a ${typeof value}`; // a bigint, or an object with a cycle
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
