import { kindPriority, redactionMarker, type SecretKind } from './secret-kinds.ts';

/** A stretch of one line that a detector wants replaced: `[start, end)` in UTF-16 units. */
export interface Span {
  readonly start: number;
  readonly end: number;
  readonly kind: SecretKind;
  /** The key or header the value was assigned to (`DB_PASSWORD`): a name, never the value. */
  readonly name?: string;
  /** On the first line of a private key block: the block's last line, 1-based. */
  readonly endLine?: number;
  /** A later line of a private key block, reported with its first line. */
  readonly continued?: boolean;
}

/** A single-line detector: every secret it sees in `line` (which has no `\n` and no `\r`). */
export type LineDetector = (line: string) => Span[];

/**
 * Overlapping spans become one span covering all of them, named after the most specific kind.
 * A union, not a choice: if a generic detector saw `prefix-ghp_…-suffix` as one secret value and
 * the GitHub detector saw only the token, keeping the ends would leak part of what one detector
 * judged secret.
 */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = [...spans].filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last === undefined || span.start >= last.end) {
      merged.push(span);
      continue;
    }
    const kind = kindPriority(span.kind) > kindPriority(last.kind) ? span.kind : last.kind;
    const name = last.name ?? span.name;
    const endLine = last.endLine ?? span.endLine;
    merged[merged.length - 1] = {
      start: last.start,
      end: Math.max(last.end, span.end),
      kind,
      ...(name === undefined ? {} : { name }),
      ...(endLine === undefined ? {} : { endLine }),
      ...(last.continued === true && span.continued === true ? { continued: true } : {}),
    };
  }
  return merged;
}

/** `line` with each (merged, sorted, disjoint) span replaced by its marker. */
export function applySpans(line: string, spans: readonly Span[]): string {
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += line.slice(at, span.start) + redactionMarker(span.kind);
    at = span.end;
  }
  return out + line.slice(at);
}
