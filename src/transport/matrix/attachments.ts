/**
 * Encrypted attachments (Matrix spec, "Sending encrypted attachments"): AES-256-CTR with a
 * random key and a random 64-bit IV (counter half zero), the ciphertext's SHA-256 in the
 * `EncryptedFile` so the receiver checks it before decrypting. The server only ever holds
 * ciphertext; the key travels inside the (Megolm-encrypted) reference.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { RefusedError, quote } from '../../errors.ts';
import type { JsonObject } from '../transport.ts';

/** A content URI in the media repository: `mxc://server/media-id`. */
export const MXC = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/;

/** The `file` object of an encrypted attachment, as the spec names it. */
export interface EncryptedFile {
  readonly url: string;
  readonly key: {
    readonly kty: 'oct';
    readonly key_ops: readonly string[];
    readonly alg: 'A256CTR';
    readonly k: string;
    readonly ext: true;
  };
  readonly iv: string;
  readonly hashes: { readonly sha256: string };
  readonly v: 'v2';
}

const unpadded = (data: Uint8Array): string =>
  Buffer.from(data).toString('base64').replace(/=+$/, '');
const base64url = (data: Uint8Array): string => Buffer.from(data).toString('base64url');

/** Encrypt bytes for upload; returns the ciphertext and the file object minus its url. */
export function encryptAttachment(plain: Uint8Array): {
  ciphertext: Uint8Array;
  file: Omit<EncryptedFile, 'url'>;
} {
  const key = randomBytes(32);
  const iv = Buffer.concat([randomBytes(8), Buffer.alloc(8)]);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return {
    ciphertext,
    file: {
      key: {
        kty: 'oct',
        key_ops: ['encrypt', 'decrypt'],
        alg: 'A256CTR',
        k: base64url(key),
        ext: true,
      },
      iv: unpadded(iv),
      hashes: { sha256: unpadded(createHash('sha256').update(ciphertext).digest()) },
      v: 'v2',
    },
  };
}

/** Check and decrypt a downloaded attachment; RefusedError when it is not what was sent. */
export function decryptAttachment(ciphertext: Uint8Array, file: EncryptedFile): Uint8Array {
  const actual = unpadded(createHash('sha256').update(ciphertext).digest());
  if (actual !== file.hashes.sha256.replace(/=+$/, '')) {
    throw new RefusedError(
      `attachment ${file.url} failed its integrity check: sha256 ${actual}, expected ${file.hashes.sha256}`,
    );
  }
  const key = Buffer.from(file.key.k, 'base64url');
  const iv = Buffer.from(file.iv, 'base64');
  if (key.length !== 32 || iv.length !== 16) {
    throw new RefusedError(`attachment ${file.url} has a malformed key or iv`);
  }
  const decipher = createDecipheriv('aes-256-ctr', key, iv);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/** Read an EncryptedFile out of a blob reference's opaque extras, or throw naming what is wrong. */
export function encryptedFileOf(extra: JsonObject | undefined, uri: string): EncryptedFile {
  const file = extra?.file;
  if (
    typeof file === 'object' &&
    file !== null &&
    !Array.isArray(file) &&
    file.url === uri &&
    typeof file.iv === 'string' &&
    typeof file.key === 'object' &&
    file.key !== null &&
    !Array.isArray(file.key) &&
    typeof file.key.k === 'string' &&
    typeof file.hashes === 'object' &&
    file.hashes !== null &&
    !Array.isArray(file.hashes) &&
    typeof file.hashes.sha256 === 'string'
  ) {
    return file as unknown as EncryptedFile;
  }
  throw new RefusedError(
    `expected a Matrix blob reference with an EncryptedFile for ${uri}, got ${quote(file)}`,
  );
}
