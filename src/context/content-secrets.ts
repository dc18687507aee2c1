import { posix } from 'node:path';
import { scrubText } from './scrub-text.ts';
import { kindPriority, type SecretKind } from './secret-kinds.ts';

/**
 * Content that cannot be redacted in place, so goes whole or not at all: files whose name says
 * they are key material, and binary content (a `GIT binary patch`, an image, an archive) in
 * which the scrubber finds a secret.
 */

// OpenSSH's default identity names (ssh-keygen(1) FILES), key and certificate containers by
// extension, and the password files of netrc(5) and libpq (.pgpass).
const KEY_NAMES = new Set([
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ecdsa_sk',
  'id_ed25519',
  'id_ed25519_sk',
  '.netrc',
  '_netrc',
  '.pgpass',
]);
const KEY_EXTENSIONS = new Set(['.pem', '.key', '.p12', '.pfx']);

/**
 * True when the last part of `path` names key material: an SSH identity (`id_rsa`, not
 * `id_rsa.pub`), a `.pem`, `.key`, `.p12` or `.pfx` file, `.netrc` or `.pgpass`. Case-blind:
 * `SERVER.KEY` is as secret as `server.key`. Such files never leave, whatever they contain.
 */
export function isKeyMaterialName(path: string): boolean {
  const name = posix.basename(path.replaceAll('\\', '/')).toLowerCase();
  return KEY_NAMES.has(name) || KEY_EXTENSIONS.has(posix.extname(name));
}

/**
 * The most specific kind of secret the scrubber finds in `bytes` read as latin1 (every byte one
 * character, so an ASCII secret inside binary data reads as itself), or nothing.
 */
export function secretKindIn(bytes: Uint8Array): SecretKind | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let found: SecretKind | undefined;
  for (const { kind } of scrubText(text).redactions)
    if (found === undefined || kindPriority(kind) > kindPriority(found)) found = kind;
  return found;
}
