/**
 * SASL SCRAM client (RFC 5802, RFC 7677) that verifies the server signature: a server that does
 * not know our password (an impostor in the middle) cannot complete the exchange. No channel
 * binding (gs2 header `n,,`), so the -PLUS variants are never chosen.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError } from '../../errors.ts';

/** The hash a SCRAM mechanism uses. */
export type ScramHash = 'SHA-1' | 'SHA-256';

/** Mechanism names we support, strongest first. */
export const SCRAM_MECHANISMS: Readonly<Record<string, ScramHash>> = {
  'SCRAM-SHA-256': 'SHA-256',
  'SCRAM-SHA-1': 'SHA-1',
};

/** The strongest SCRAM mechanism among those offered, if any. */
export function pickScramMechanism(offered: readonly string[]): string | undefined {
  return Object.keys(SCRAM_MECHANISMS).find((name) => offered.includes(name));
}

const GS2_HEADER = 'n,,';
const algorithm = (hash: ScramHash): string => (hash === 'SHA-1' ? 'sha1' : 'sha256');

/** One SCRAM exchange. */
export class ScramClient {
  readonly #hash: ScramHash;
  readonly #username: string;
  readonly #password: string;
  readonly #nonce: string;
  readonly #minIterations: number;
  #expectedServerSignature: Buffer | undefined;

  constructor(options: {
    hash: ScramHash;
    username: string;
    password: string;
    clientNonce?: string;
    minIterations?: number;
  }) {
    this.#hash = options.hash;
    // RFC 5802 §5.1: '=' and ',' in the name are escaped.
    this.#username = options.username.normalize('NFKC').replace(/=/g, '=3D').replace(/,/g, '=2C');
    // SASLprep (RFC 4013) is approximated by NFKC; passwords that differ only in characters
    // SASLprep maps to nothing would be treated differently — acceptable for a client.
    this.#password = options.password.normalize('NFKC');
    this.#nonce = options.clientNonce ?? randomBytes(24).toString('base64');
    this.#minIterations = options.minIterations ?? 4096;
  }

  #firstBare(): string {
    return `n=${this.#username},r=${this.#nonce}`;
  }

  /** The client-first-message. */
  clientFirst(): string {
    return GS2_HEADER + this.#firstBare();
  }

  /** Check the server-first-message and answer with the client-final-message (with proof). */
  clientFinal(serverFirst: string): string {
    const fields = parseFields(serverFirst);
    if (fields.has('m'))
      throw scramError(
        'the server asks for a SCRAM extension we do not support',
        'extensions-not-supported',
      );
    const nonce = fields.get('r') ?? '';
    const salt = fields.get('s') ?? '';
    const iterations = Number(fields.get('i'));
    if (!nonce.startsWith(this.#nonce) || nonce.length <= this.#nonce.length) {
      throw scramError(
        'the server nonce does not extend ours (replayed or forged exchange)',
        'invalid-nonce',
      );
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(salt))
      throw scramError(
        `expected a base64 salt from the server, got ${JSON.stringify(salt.slice(0, 20))}`,
        'invalid-salt',
      );
    if (!Number.isInteger(iterations) || iterations < this.#minIterations) {
      throw scramError(
        `the server asks for ${String(fields.get('i'))} iterations; at least ${String(this.#minIterations)} are required`,
        'weak-iterations',
      );
    }
    const algo = algorithm(this.#hash);
    const keyLength = this.#hash === 'SHA-1' ? 20 : 32;
    const salted = pbkdf2Sync(
      this.#password,
      Buffer.from(salt, 'base64'),
      iterations,
      keyLength,
      algo,
    );
    const clientKey = hmac(algo, salted, 'Client Key');
    const storedKey = createHash(algo).update(clientKey).digest();
    const withoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
    const authMessage = `${this.#firstBare()},${serverFirst},${withoutProof}`;
    const clientSignature = hmac(algo, storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++)
      proof[i] = (clientKey[i] ?? 0) ^ (clientSignature[i] ?? 0);
    this.#expectedServerSignature = hmac(algo, hmac(algo, salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Verify the server-final-message; throws AuthError unless the server proved it knows the password. */
  verifyServerFinal(serverFinal: string): void {
    const fields = parseFields(serverFinal);
    const error = fields.get('e');
    if (error !== undefined) throw scramError(`the server rejected the login: ${error}`, error);
    const expected = this.#expectedServerSignature;
    if (!expected) throw scramError('server-final arrived before client-final', 'out-of-order');
    const verifier = Buffer.from(fields.get('v') ?? '', 'base64');
    if (verifier.length !== expected.length || !timingSafeEqual(verifier, expected)) {
      throw scramError(
        "the server's signature does not match: it does not know your password (possible man-in-the-middle)",
        'invalid-server-signature',
      );
    }
  }
}

function hmac(algo: string, key: Buffer, text: string): Buffer {
  return createHmac(algo, key).update(text).digest();
}

/** `a=1,b=2` → Map; values may contain '='. */
function parseFields(message: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) fields.set(part.slice(0, 1), part.slice(2));
  }
  return fields;
}

function scramError(message: string, condition: string): AuthError {
  return new AuthError(`SCRAM: ${message}`, { detail: { condition } });
}
