/**
 * Media other Matrix clients send (`m.image`, `m.file`, `m.audio`, `m.video`; Client-Server
 * API, "m.room.message msgtypes") as blob references `getBlob` can fetch. Their events carry no
 * sha256 of the plaintext, which our own references have (media.ts): such a reference has an
 * empty `sha256` and the marker `extra.unhashed`, and is checked against what the event does
 * carry: the size when `info.size` says it, and for encrypted media the ciphertext's sha256 in
 * the EncryptedFile (attachments.ts), which binds the bytes the sender encrypted.
 */
import type { BlobRef, JsonObject } from '../transport.ts';
import { encryptedFileOf, MXC } from './attachments.ts';

/** A reference built from a media event, and whether the event said the size. */
export interface MediaRef {
  readonly ref: BlobRef;
  readonly sizeKnown: boolean;
}

/** The blob reference of a media event's content, or what is wrong with it. */
export function mediaRef(content: Record<string, unknown>): MediaRef | { problem: string } {
  const info = record(content.info);
  const said = info?.size;
  const size = typeof said === 'number' && Number.isSafeInteger(said) && said >= 0 ? said : -1;
  const sizeKnown = size >= 0;
  const mimetype = typeof info?.mimetype === 'string' ? info.mimetype : '';
  const filename = typeof content.filename === 'string' ? content.filename : '';
  const name = filename || (typeof content.body === 'string' ? content.body : '');
  const extra: Record<string, unknown> = { unhashed: true };
  if (!sizeKnown) extra.sizeUnknown = true;
  let uri: string;
  const file = record(content.file);
  if (file) {
    if (typeof file.url !== 'string' || !MXC.test(file.url)) {
      return { problem: 'with an encrypted file whose url is not an mxc:// URI' };
    }
    uri = file.url;
    try {
      encryptedFileOf({ file: file as JsonObject }, uri);
    } catch {
      return { problem: 'with a malformed encrypted file (key, iv or hashes missing)' };
    }
    extra.file = file;
  } else if (typeof content.url === 'string' && MXC.test(content.url)) {
    uri = content.url;
  } else {
    return { problem: 'without an mxc:// url or an encrypted file' };
  }
  return {
    sizeKnown,
    ref: {
      uri,
      size: Math.max(size, 0),
      sha256: '',
      ...(mimetype ? { contentType: mimetype } : {}),
      ...(name ? { name } : {}),
      extra: extra as JsonObject,
    },
  };
}

/**
 * How to check the bytes of a reference: against its sha256 and size (our own blobs, always
 * when a sha256 is given), or, for an unhashed reference from a media event, against the size
 * only where the event said it.
 */
export function expectedOf(ref: BlobRef): { sha256?: string; size?: number } {
  if (ref.sha256 !== '' || ref.extra?.unhashed !== true) {
    return { sha256: ref.sha256, size: ref.size };
  }
  return ref.extra.sizeUnknown === true ? {} : { size: ref.size };
}

/** True when the reference's bytes are encrypted (it carries an EncryptedFile). */
export function isEncryptedRef(ref: BlobRef): boolean {
  return ref.extra?.unhashed !== true || ref.extra.file !== undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
