/** Stream ids as people type them: in full, or a prefix that names one stream. */
import { UsageError, quote } from '../errors.ts';

/** Resolve a stream id given in full or as a unique prefix among `ids`. */
export function matchStreamId(input: string, ids: readonly string[]): string {
  if (ids.includes(input)) return input;
  const matches = ids.filter((id) => id.startsWith(input));
  if (matches.length === 1 && matches[0]) return matches[0];
  // A whole id nobody listed (history beyond the pages scanned): take it as given.
  if (matches.length === 0 && /^[0-9a-f]{12}$/.test(input)) return input;
  if (matches.length > 1)
    throw new UsageError(`stream id ${quote(input)} is ambiguous: it starts ${matches.join(', ')}`);
  throw new UsageError(
    `no stream ${quote(input)} here${ids.length ? `; streams: ${ids.slice(0, 5).join(', ')}` : ''}`,
  );
}
