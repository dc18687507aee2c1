/**
 * SASL SCRAM client (RFC 5802, RFC 7677) that verifies the server signature: a server that does
 * not know our password (an impostor in the middle) cannot complete the exchange. The library's
 * SCRAM never checks `v=`, which is why this exists. No channel binding (gs2 header `n,,`), so the
 * -PLUS variants are never chosen.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError, quote } from '../../errors.ts';

/** The hash a SCRAM mechanism uses. */
export type ScramHash = 'SHA-1' | 'SHA-256';

/** Mechanism names we support, strongest first (the order pickScramMechanism prefers). */
export const SCRAM_MECHANISMS: Readonly<Record<string, ScramHash>> = {
  'SCRAM-SHA-256': 'SHA-256',
  'SCRAM-SHA-1': 'SHA-1',
};

/** The strongest SCRAM mechanism among those offered, never a -PLUS one; undefined if none. */
export function pickScramMechanism(offered: readonly string[]): string | undefined {
  return Object.keys(SCRAM_MECHANISMS).find((name) => offered.includes(name));
}

/** Options for one SCRAM exchange; clientNonce is for tests only. */
export interface ScramClientOptions {
  readonly hash: ScramHash;
  readonly username: string;
  readonly password: string;
  readonly clientNonce?: string;
  readonly minIterations?: number;
}

// RFC 5802 §7: gs2-header "n,," says the client does not support channel binding.
const GS2_HEADER = 'n,,';
// RFC 7677 §4 recommends at least 4096 iterations; RFC 5802 §5.1 lets the client refuse fewer.
const DEFAULT_MIN_ITERATIONS = 4096;
/**
 * pbkdf2Sync blocks the process; a hostile server could ask for billions of rounds. Real servers
 * use 4096–600 000 (OWASP's 2023 advice for SHA-256 is 600 000).
 */
const MAX_ITERATIONS = 1_000_000;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// RFC 5802 §7: posit-number = %x31-39 *DIGIT (plain decimal, no sign, no leading zero).
const POSIT_NUMBER = /^[1-9][0-9]*$/;

const ALGORITHMS: Readonly<Record<ScramHash, { name: string; length: number }>> = {
  'SHA-1': { name: 'sha1', length: 20 },
  'SHA-256': { name: 'sha256', length: 32 },
};

/** One SCRAM exchange: clientFirst, then clientFinal, then verifyServerFinal. */
export class ScramClient {
  readonly #algorithm: { name: string; length: number };
  readonly #username: string;
  readonly #password: string;
  readonly #nonce: string;
  readonly #minIterations: number;
  #expectedServerSignature: Buffer | undefined;

  constructor(options: ScramClientOptions) {
    this.#algorithm = ALGORITHMS[options.hash];
    // RFC 5802 §5.1 asks for SASLprep (RFC 4013) on both names and passwords. We only apply
    // NFKC, its core step (RFC 4013 §2.2); the mapping of non-ASCII spaces and soft hyphens
    // (§2.1) and the prohibited-character checks (§2.3) are skipped. ASCII passwords, the
    // common case, are unaffected either way.
    const username = options.username.normalize('NFKC');
    // RFC 5802 §5.1: '=' and ',' in the name are sent as '=3D' and '=2C' ('=' first).
    this.#username = username.replace(/=/g, '=3D').replace(/,/g, '=2C');
    this.#password = options.password.normalize('NFKC');
    this.#nonce = options.clientNonce ?? randomBytes(24).toString('base64');
    this.#minIterations = options.minIterations ?? DEFAULT_MIN_ITERATIONS;
  }

  #firstBare(): string {
    return `n=${this.#username},r=${this.#nonce}`;
  }

  /** The client-first-message (RFC 5802 §5.1). */
  clientFirst(): string {
    return GS2_HEADER + this.#firstBare();
  }

  /** Check the server-first-message and answer with the client-final-message (with proof). */
  clientFinal(serverFirst: string): string {
    const fields = parseFields(serverFirst);
    const nonce = fields.get('r') ?? '';
    const salt = fields.get('s') ?? '';
    const iterations = fields.get('i') ?? '';
    // RFC 5802 §5.1: an unknown mandatory extension (m=) must make the client fail.
    if (fields.has('m')) {
      throw scramError(
        `the server requires an extension we do not support (${quote(`m=${fields.get('m') ?? ''}`)})`,
        'extensions-not-supported',
      );
    }
    // RFC 5802 §5.1: the server appends its own part to our nonce; anything else is a replay
    // or a forged exchange.
    if (!nonce.startsWith(this.#nonce) || nonce.length === this.#nonce.length) {
      throw scramError(
        `expected the server nonce to extend ours (${quote(this.#nonce)}), got ${quote(nonce)}`,
        'invalid-nonce',
      );
    }
    if (salt === '' || !BASE64.test(salt)) {
      throw scramError(
        `expected a base64 salt from the server, got ${quote(salt)}`,
        'invalid-salt',
      );
    }
    if (!POSIT_NUMBER.test(iterations) || Number(iterations) < this.#minIterations) {
      throw scramError(
        `expected an iteration count of at least ${String(this.#minIterations)} from the server, got ${quote(iterations)} (a weak password hash makes the exchange easy to brute-force)`,
        'weak-iterations',
      );
    }
    if (Number(iterations) > MAX_ITERATIONS) {
      throw scramError(
        `expected an iteration count of at most ${String(MAX_ITERATIONS)} from the server, got ${quote(iterations)} (refusing to block on it)`,
        'excessive-iterations',
      );
    }
    const { name, length } = this.#algorithm;
    // RFC 5802 §3: SaltedPassword := Hi(password, salt, i), and Hi is PBKDF2 with HMAC.
    const salted = pbkdf2Sync(
      this.#password,
      Buffer.from(salt, 'base64'),
      Number(iterations),
      length,
      name,
    );
    const clientKey = hmac(name, salted, 'Client Key');
    const storedKey = createHash(name).update(clientKey).digest();
    // RFC 5802 §7: channel-binding is base64(gs2-header), "biws" for "n,,".
    const withoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
    const authMessage = `${this.#firstBare()},${serverFirst},${withoutProof}`;
    const clientSignature = hmac(name, storedKey, authMessage);
    const proof = Buffer.alloc(length);
    for (let i = 0; i < length; i++) proof[i] = (clientKey[i] ?? 0) ^ (clientSignature[i] ?? 0);
    // RFC 5802 §3: ServerSignature := HMAC(ServerKey, AuthMessage); kept for verifyServerFinal.
    this.#expectedServerSignature = hmac(name, hmac(name, salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Verify the server-final-message; throws AuthError unless the server proved it knows the password. */
  verifyServerFinal(serverFinal: string): void {
    const fields = parseFields(serverFinal);
    const error = fields.get('e');
    // RFC 5802 §7: server-error values such as invalid-proof or unknown-user.
    if (error !== undefined) {
      const hint =
        error === 'invalid-proof' || error === 'unknown-user'
          ? '; check the user name and password'
          : '';
      throw scramError(`the server rejected the login (${quote(error)})${hint}`, error);
    }
    const verifier = fields.get('v');
    if (verifier === undefined) {
      throw scramError(
        `expected a server-final message with v= or e=, got ${quote(serverFinal)}`,
        'invalid-server-final',
      );
    }
    const expected = this.#expectedServerSignature;
    if (!expected) {
      throw scramError(
        'got the server signature before we sent our proof (server-final before client-final)',
        'out-of-order',
      );
    }
    const received = BASE64.test(verifier) ? Buffer.from(verifier, 'base64') : Buffer.alloc(0);
    // RFC 5802 §9: the signature is what authenticates the server, so compare in constant time.
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
      throw scramError(
        "the server's signature does not match: it does not know your password (possible man-in-the-middle)",
        'invalid-server-signature',
      );
    }
  }
}

function hmac(algorithm: string, key: Buffer, text: string): Buffer {
  return createHmac(algorithm, key).update(text).digest();
}

/** `a=1,b=2` → Map. RFC 5802 §5.1: each attribute is one letter, '='; values may hold '='. */
function parseFields(message: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of message.split(',')) {
    if (part.charAt(1) === '=') fields.set(part.charAt(0), part.slice(2));
  }
  return fields;
}

function scramError(message: string, condition: string): AuthError {
  return new AuthError(`SCRAM: ${message}`, { detail: { condition } });
}
