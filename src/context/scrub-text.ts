import { findAssignmentForms } from './assignment-forms.ts';
import { findLineStartAssignment, findQuotedAssignments } from './assignments.ts';
import { findCredentialUrls } from './credential-urls.ts';
import { findPrivateKeys } from './private-keys.ts';
import type { SecretKind } from './secret-kinds.ts';
import { applySpans, mergeSpans, type LineDetector, type Span } from './spans.ts';
import { findTokens } from './token-formats.ts';

/**
 * Secrets are replaced in place by `[REDACTED:kind]`; the rest of each line, the line breaks
 * (`\n` or `\r\n`) and the line count are untouched, and text without secrets comes back
 * byte-identical. So a diff whose secrets sat only on `+` lines still applies (the new file
 * then holds the marker instead of the secret; hunk line counts are unchanged); a hunk whose
 * `-` or context lines held a secret no longer matches the original file and will not apply,
 * which is the point. A marker is never taken for a secret, so scrubbing scrubbed config, code
 * or notes again changes nothing (arbitrary text gives no such promise: a redaction can swallow
 * a quote and change how the quotes after it pair up).
 */

/** One secret taken out of a text: its kind and where it was, never any of its characters. */
export interface Redaction {
  readonly type: 'redacted';
  readonly kind: SecretKind;
  /** 1-based line where the secret started. */
  readonly line: number;
  /** 1-based column (UTF-16 code units) in the original line. */
  readonly column: number;
  /** For a private key block over several lines: the 1-based line where it ended. */
  readonly endLine?: number;
  /** The name the secret was assigned to (`DB_PASSWORD`, `Authorization`), when it had one. */
  readonly name?: string;
}

/** Scrubbed text and what was taken out of it. */
export interface ScrubbedText {
  readonly text: string;
  readonly redactions: readonly Redaction[];
}

const DETECTORS: readonly LineDetector[] = [
  findTokens,
  findCredentialUrls,
  findQuotedAssignments,
  findLineStartAssignment,
  findAssignmentForms,
];

/** Replace every secret in `text` by a marker, keeping everything else as it was. */
export function scrubText(text: string): ScrubbedText {
  const rawLines = text.split('\n');
  const lines = rawLines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  const keySpans = new Map<number, Span[]>();
  for (const block of findPrivateKeys(lines))
    for (const span of block.spans) {
      const first = span.line === block.firstLine;
      const keySpan: Span = {
        start: span.start,
        end: span.end,
        kind: 'private-key',
        ...(first && block.lastLine > block.firstLine ? { endLine: block.lastLine + 1 } : {}),
        ...(first ? {} : { continued: true }),
      };
      keySpans.set(span.line, [...(keySpans.get(span.line) ?? []), keySpan]);
    }
  const redactions: Redaction[] = [];
  const out = lines.map((line, i) => {
    const found: Span[] = [...(keySpans.get(i) ?? [])];
    for (const detect of DETECTORS) found.push(...detect(line));
    if (found.length === 0) return rawLines[i] ?? '';
    const merged = mergeSpans(found);
    for (const span of merged) if (span.continued !== true) redactions.push(record(span, i));
    return applySpans(line, merged) + (line === rawLines[i] ? '' : '\r');
  });
  return { text: out.join('\n'), redactions };
}

/** The record of a merged span; a name that itself holds a token-shaped string is dropped. */
function record(span: Span, index: number): Redaction {
  const name =
    span.name !== undefined && span.name.length <= 80 && findTokens(span.name).length === 0
      ? span.name
      : undefined;
  return {
    type: 'redacted',
    kind: span.kind,
    line: index + 1,
    column: span.start + 1,
    ...(span.endLine === undefined ? {} : { endLine: span.endLine }),
    ...(name === undefined ? {} : { name }),
  };
}
