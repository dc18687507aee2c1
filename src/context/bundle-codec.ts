import { gunzip, gzip } from 'node:zlib';
import { messageOf, RemoteFailureError } from '../errors.ts';
import { decodeContent, sha256Hex, type ContextBundle } from './bundle.ts';
import { checkBundleShape } from './bundle-shape.ts';

/**
 * A bundle on the wire: UTF-8 JSON, named by its sha256, optionally gzipped for a blob. The
 * receiver checks the hash before it parses a byte, then the shape, then each file against its
 * own hash and size: a bundle altered in transit or storage is refused as a whole. These are
 * RemoteFailureErrors (exit 7): what the peer shared cannot be used, and nothing local is wrong.
 */

/** Most bytes a packed bundle may unpack to: larger is refused, whatever it claims to be. */
export const MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

/** A bundle as bytes, and the sha256 that names them. */
export interface EncodedBundle {
  readonly bytes: Uint8Array;
  /** Lower-case hex sha256 of `bytes`. */
  readonly sha256: string;
}

/** The bundle as UTF-8 JSON and its sha256. */
export function encodeBundle(bundle: ContextBundle): EncodedBundle {
  const bytes = Buffer.from(JSON.stringify(bundle), 'utf8');
  return { bytes, sha256: sha256Hex(bytes) };
}

/** The start of a hash, for a message: "ab12cd34ef56…". */
function short(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}

/** Checks every file's content, and the diff's, against what the bundle says of them. */
function checkContents(bundle: ContextBundle): void {
  const name = `context share ${bundle.id}`;
  bundle.files.forEach((file, i) => {
    const bytes = decodeContent(file.encoding, file.content);
    const at = `bundle.files[${String(i)}] (${file.path})`;
    const actual = sha256Hex(bytes);
    if (actual !== file.sha256)
      throw new RemoteFailureError(
        `${name}: ${at} does not match its sha256: expected ${short(file.sha256)}, got ${short(actual)} (the file was altered after the bundle was made)`,
      );
    if (bytes.length !== file.size)
      throw new RemoteFailureError(
        `${name}: ${at} holds ${String(bytes.length)} bytes, but its size says ${String(file.size)}`,
      );
  });
  const diff = bundle.git?.diff;
  if (diff === undefined) return;
  const length = decodeContent(diff.encoding, diff.data).length;
  if (length !== diff.bytes)
    throw new RemoteFailureError(
      `${name}: bundle.git.diff holds ${String(length)} bytes, but bundle.git.diff.bytes says ${String(diff.bytes)}`,
    );
}

/**
 * The bundle in `bytes`, once they hash to `expectedSha256` (as announced by the sender; `id`
 * names the share in the message), parse, have the right shape and every file matches its hash.
 */
export function decodeBundle(
  bytes: Uint8Array,
  expectedSha256: string,
  id?: string,
): ContextBundle {
  const name = `context share ${id ?? 'bundle'}`;
  const expected = expectedSha256.toLowerCase();
  const actual = sha256Hex(bytes);
  if (actual !== expected)
    throw new RemoteFailureError(
      `${name} failed its integrity check: expected sha256 ${short(expected)}, got ${short(actual)} (the bundle was altered in transit or in storage)`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new RemoteFailureError(`${name} is not UTF-8 JSON: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const bundle = checkBundleShape(parsed);
  checkContents(bundle);
  return bundle;
}

/** Gzipped bytes, for storing a bundle as a blob. */
export function packBundle(bytes: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    gzip(bytes, (error, packed) => {
      if (error === null) resolve(packed);
      else reject(error);
    });
  });
}

/**
 * The bytes of a gzipped bundle, refusing to unpack more than `maxBytes` (256 MiB by default):
 * a few kilobytes of gzip can expand to gigabytes, and the size is only known by unpacking.
 */
export function unpackBundle(
  bytes: Uint8Array,
  maxBytes = MAX_UNPACKED_BYTES,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    gunzip(bytes, { maxOutputLength: maxBytes }, (error, unpacked) => {
      if (error === null) {
        resolve(unpacked);
        return;
      }
      const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      reject(
        new RemoteFailureError(
          tooLarge
            ? `context bundle unpacks to more than ${String(maxBytes)} bytes: refused (too large to take, or a zip bomb)`
            : `context bundle is not gzip data: ${error.message}`,
          { cause: error },
        ),
      );
    });
  });
}
