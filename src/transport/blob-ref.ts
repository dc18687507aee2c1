/**
 * The one check of a blob reference that came from elsewhere (a peer's payload, the session
 * link): the shape `BlobRef` promises, with a whole-number size and a hex sha256, so that a
 * reference can be fetched and the bytes verified against it.
 */
import type { BlobRef } from './transport.ts';

/** True when `value` is a usable BlobRef. */
export function isBlobRef(value: unknown): value is BlobRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const optionalText = (x: unknown): boolean => x === undefined || typeof x === 'string';
  return (
    typeof v.uri === 'string' &&
    typeof v.size === 'number' &&
    Number.isSafeInteger(v.size) &&
    v.size >= 0 &&
    typeof v.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(v.sha256) &&
    optionalText(v.contentType) &&
    optionalText(v.name) &&
    (v.extra === undefined ||
      (typeof v.extra === 'object' && v.extra !== null && !Array.isArray(v.extra)))
  );
}
