/** How far to look for a NUL byte: git's own heuristic (buffer_is_binary, xdiff-interface.c). */
const SNIFF_BYTES = 8 * 1024;

/**
 * True when `bytes` are not text the scrubber can read: a NUL byte in the first 8 KiB (as git
 * decides), or anything that is not valid UTF-8. The scrubber only reads text, so the caller
 * must not pass such content through `scrubText`; `share-context` sends a binary file as-is only
 * when the user named that file explicitly, and otherwise leaves it out and says so.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  if (bytes.subarray(0, SNIFF_BYTES).includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return false;
  } catch {
    return true;
  }
}
