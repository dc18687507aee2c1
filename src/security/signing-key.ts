/**
 * The agent's execution identity (design.md §6): one Ed25519 key per config directory, kept in
 * `signing-key.pem` (PKCS#8 PEM, mode 0600, in a 0700 directory). Transport accounts are a
 * different identity; only this key makes a request or a result count. The private key never
 * leaves this module except into that file: a SigningKey signs, it does not export.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ConfigError, UsageError, messageOf } from '../errors.ts';

/** The key file's name inside the config directory. */
export const SIGNING_KEY_FILE = 'signing-key.pem';

/** The prefix of a public key written as text: `ed25519:` + base64url of the raw 32 bytes. */
export const PUBLIC_KEY_PREFIX = 'ed25519:';

const PUBLIC_RAW = /^ed25519:[A-Za-z0-9_-]{43}$/;

/** This agent's signing key: the public half in every form, and a way to sign. */
export interface SigningKey {
  readonly publicKey: KeyObject;
  /** The public key as text, `ed25519:` + base64url: what a card or a trust entry carries. */
  readonly publicRaw: string;
  /** `SHA256:` + base64url of the SHA-256 of the raw public key. */
  readonly fingerprint: string;
  /** The Ed25519 signature of `bytes`. */
  sign(bytes: Uint8Array): Uint8Array;
}

/**
 * The key in `<dir>/signing-key.pem`, created on first use. Throws a ConfigError when the file
 * is readable or writable by anyone else, belongs to another user, or is not an Ed25519 key.
 */
export function loadOrCreateSigningKey(dir: string): SigningKey {
  const file = join(dir, SIGNING_KEY_FILE);
  const existing = readKeyFile(file);
  if (existing !== undefined) return keyFrom(existing, file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode does not apply to a directory that already existed.
  chmodSync(dir, 0o700);
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  // Written aside, then linked into place: nobody reads a half-written key, and of two
  // processes creating it at once the second link fails (rename would silently replace the
  // first one's key while it is in use), so the loser reads the winner's key.
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writePrivate(temp, pem);
    linkSync(temp, file);
    syncDir(dir);
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST'))
      throw new ConfigError(`cannot create the signing key ${file}: ${messageOf(error)}`, {
        cause: error,
      });
  } finally {
    rmSync(temp, { force: true });
  }
  const stored = readKeyFile(file);
  if (stored === undefined)
    throw new ConfigError(`the signing key ${file} vanished as it was made`);
  return keyFrom(stored, file);
}

/** A new key held only in memory (tests, and agents that must not persist one). */
export function generateSigningKey(): SigningKey {
  return new Ed25519Key(generateKeyPairSync('ed25519').privateKey);
}

/** `SHA256:` + unpadded base64url of the SHA-256 of the raw 32-byte Ed25519 public key. */
export function fingerprintOf(publicKey: KeyObject): string {
  const raw = Buffer.from(rawBase64Url(publicKey), 'base64url');
  return `SHA256:${createHash('sha256').update(raw).digest('base64url')}`;
}

/** The public key as text: `ed25519:` + unpadded base64url of its raw 32 bytes. */
export function publicRawOf(publicKey: KeyObject): string {
  return `${PUBLIC_KEY_PREFIX}${rawBase64Url(publicKey)}`;
}

/** True when `text` is a public key as text (`ed25519:` + 43 base64url characters). */
export function isPublicRaw(text: unknown): text is string {
  if (typeof text !== 'string' || !PUBLIC_RAW.test(text)) return false;
  const raw = text.slice(PUBLIC_KEY_PREFIX.length);
  return Buffer.from(raw, 'base64url').toString('base64url') === raw;
}

/** The KeyObject of a public key given as `ed25519:` + base64url; UsageError when it is not one. */
export function publicKeyFromRaw(text: string): KeyObject {
  const given = JSON.stringify(text.slice(0, 60));
  if (!isPublicRaw(text))
    throw new UsageError(
      `expected a public key like ed25519: followed by 43 base64url characters, got ${given}`,
    );
  try {
    const x = text.slice(PUBLIC_KEY_PREFIX.length);
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch (error) {
    throw new UsageError(`${text} is not a valid Ed25519 public key: ${messageOf(error)}`);
  }
}

/** A SigningKey over a private KeyObject kept in a private field, out of logs and JSON. */
class Ed25519Key implements SigningKey {
  readonly #privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicRaw: string;
  readonly fingerprint: string;

  constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
    this.publicRaw = publicRawOf(this.publicKey);
    this.fingerprint = fingerprintOf(this.publicKey);
  }

  sign(bytes: Uint8Array): Uint8Array {
    return sign(null, bytes, this.#privateKey);
  }

  /** What JSON.stringify shows: the public half only. */
  toJSON(): { publicRaw: string; fingerprint: string } {
    return { publicRaw: this.publicRaw, fingerprint: this.fingerprint };
  }
}

function rawBase64Url(publicKey: KeyObject): string {
  if (publicKey.asymmetricKeyType !== 'ed25519')
    throw new UsageError(`expected an Ed25519 key, got ${String(publicKey.asymmetricKeyType)}`);
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new UsageError('expected an Ed25519 public key');
  return x;
}

/** The key file's text, checked to be private, or undefined when there is none. */
function readKeyFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read the signing key ${file}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  try {
    // fstat of the open file: what we check is what we read, even if the path is swapped.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ConfigError(`the signing key ${file} is not a regular file`);
    if (process.platform !== 'win32') {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      if ((stat.mode & 0o077) !== 0)
        throw new ConfigError(
          `the signing key ${file} has mode ${mode}, so other users may read or change it; make it private with \`chmod 600 ${file}\``,
        );
      if (process.getuid !== undefined && stat.uid !== process.getuid())
        throw new ConfigError(
          `the signing key ${file} belongs to another user (uid ${stat.uid}); only its owner may use it`,
        );
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function keyFrom(pem: string, file: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    // The message of a parse error never quotes the key, but keep ours free of it regardless.
    throw new ConfigError(
      `the signing key ${file} is not a readable PEM private key (${messageOf(error)}); move it aside to make a new one, then trust the new key again on every peer`,
      { cause: error },
    );
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new ConfigError(
      `the signing key ${file} is a ${String(privateKey.asymmetricKeyType)} key, not Ed25519; move it aside to make a new one`,
    );
  return new Ed25519Key(privateKey);
}

/** Create `path` (it must not exist), mode 0600 from the first byte, and write `text` durably. */
function writePrivate(path: string, text: string): void {
  // 'wx': never write through a file (or symlink) someone placed at the temp name.
  const fd = openSync(path, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600); // in case the umask took away more than group and other bits
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync a directory so a new entry in it survives a crash (no-op where unsupported). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot open a directory; the rename is still atomic there.
  }
}
