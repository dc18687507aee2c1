import { assignedValueSpan } from './assigned-value.ts';
import type { Span } from './spans.ts';

/**
 * `name = value` in its two common shapes, when the name looks secret (secret-names.ts):
 *
 * - a quoted value, anywhere in a line: `"password": "…"`, `password: '…'`, `DB_PASS="…"`,
 *   `connect(password="…")`, `$password = '…'`, `password := "…"`, `'password' => '…'`, and
 *   the same with JSON-escaped quotes inside a string (`{\"token\": \"…\"}`). Comparisons
 *   (`==`, `===`, `!=`) are not assignments.
 * - an unquoted value at the start of a config-like line (after a diff marker, indentation,
 *   `export`, a comment sign or a YAML `- `): `DB_PASSWORD=hunter2`, `password: hunter2`,
 *   `password = hunter2`. The value runs to the end of the line or to a trailing comment.
 *
 * Both keep the name and the separator; only the value is replaced.
 */

// Start of a quoted assignment up to the value's opening quote. Bounded repetitions only.
// A quoted name must close with the same quote, and an unquoted name must not follow a quote:
// in `log('password:', password)` or Markdown's `API_KEY=` the quote after the separator closes
// the string the name was in.
const QUOTED =
  /(?<![A-Za-z0-9_.\-"'`\\])(\\?["']?)(\$?[A-Za-z_][A-Za-z0-9_.-]{0,80})\1([ \t]{0,20})(:=|=>|:|=(?!=))[ \t]{0,20}(\\?)(["'`])/dg;

// A config-like line: diff marker, indentation, comment sign, export, YAML list item, key, `=`/`:`.
const LINE_START =
  /^[+-]?[ \t]*(?:(?:#|\/\/|;)[ \t]*)?(?:(?:export|declare -x|set|readonly|local)[ \t]+)?(?:-[ \t]+)?(["']?)([A-Za-z_][A-Za-z0-9_.-]{0,80})\1([ \t]*)(=|:)(?![=:])[ \t]*/d;

/** Finds the closing quote of a string opened just before `from`, remembering past searches. */
type CloseFinder = (from: number, quote: string, escaped: boolean) => number;

/**
 * Closing-quote search with memory: a quote's being escaped does not depend on where the search
 * started, so one answer serves every later search that starts before it. Without this, a line
 * of unclosed quoted assignments would cost quadratic time.
 */
function closeFinder(line: string): CloseFinder {
  const memo = new Map<string, { from: number; at: number }>();
  return (from, quote, escaped) => {
    const key = escaped ? `\\${quote}` : quote;
    const seen = memo.get(key);
    if (seen !== undefined && seen.from <= from && (seen.at === -1 || seen.at >= from))
      return seen.at;
    const at = escaped ? line.indexOf(key, from) : unescapedIndex(line, quote, from);
    memo.set(key, { from, at });
    return at;
  };
}

/**
 * Whether an odd number of backticks precedes a position, for positions asked in increasing
 * order (one pass over the line however many questions).
 */
function backtickParity(line: string): { oddBefore(at: number): boolean } {
  let counted = 0;
  let odd = false;
  return {
    oddBefore(at) {
      for (; counted < at; counted++) if (line[counted] === '`') odd = !odd;
      return odd;
    },
  };
}

/** The first `quote` at or after `from` not preceded by an odd number of backslashes. */
function unescapedIndex(line: string, quote: string, from: number): number {
  for (let at = line.indexOf(quote, from); at !== -1; at = line.indexOf(quote, at + 1)) {
    let slashes = 0;
    while (line[at - 1 - slashes] === '\\') slashes++;
    if (slashes % 2 === 0) return at;
  }
  return -1;
}

/**
 * Quoted text that only looks like `name: "value"`: a ternary (`c ? 'password' : 'secret'`), a
 * switch case, a TypeScript union of literal types (`secret: 'prompt' | 'stdin'`), or a
 * template literal with `${…}` (computed, not a literal; a vendor token in it is still found).
 */
function notAnAssignment(
  line: string,
  at: number,
  after: number,
  found: { quote: string; value: string; ternary: boolean; quotedName: boolean },
): boolean {
  const { quote, value } = found;
  const before = line.slice(Math.max(0, at - 16), at);
  // `c ? 'a' : 'b'` is written with a space before the colon; JSON's `? "key": "v"` is not.
  if (found.ternary && /\?\s*$/.test(before)) return true;
  if (/(?:^|[^\w$])case\s+$/.test(before)) return true;
  // A union of literal types names an unquoted property; JSON keys are quoted.
  if (
    !found.quotedName &&
    /^\s*\|\s*(?:["'`]|undefined\b|null\b)/.test(line.slice(after, after + 24))
  )
    return true;
  return quote === '`' && value.includes('${');
}

/** Quoted literals assigned to secret-looking names; an unclosed string runs to the line's end. */
export function findQuotedAssignments(line: string): Span[] {
  const spans: Span[] = [];
  const close = closeFinder(line);
  const ticks = backtickParity(line);
  QUOTED.lastIndex = 0;
  for (let match = QUOTED.exec(line); match !== null; match = QUOTED.exec(line)) {
    // Go on from this value's opening quote, which may open the next key instead:
    // in `x: "client_secret": "…"` the first match is `x: "`.
    QUOTED.lastIndex = match.index + match[0].length - 1;
    const name = (match[2] ?? '').replace(/^\$/, '');
    const quotedName = match[1] !== '';
    const ternary = match[3] !== '' && match[4] === ':';
    const escaped = match[5] === '\\';
    const quote = match[6] ?? '"';
    // A backtick after a colon, or one that closes a code span the name sat in, is Markdown
    // (`token: \`start\``, `` `?access_token=` ``), not a template literal.
    if (quote === '`' && (match[4] === ':' || ticks.oddBefore(match.index))) continue;
    const start = match.index + match[0].length;
    const found = close(start, quote, escaped);
    const end = found === -1 ? line.length : found;
    const value = line.slice(start, end);
    const after = end + (escaped ? 2 : 1);
    if (notAnAssignment(line, match.index, after, { quote, value, ternary, quotedName })) continue;
    const span = assignedValueSpan(name, value, start);
    if (span !== undefined) spans.push(span);
  }
  return spans;
}

/**
 * `value` up to a trailing comment (` # …`, ` // …`), which stays visible: YAML, .env and JS all
 * end a value there. (A search for one blank and the comment sign, then a trim: a regex with a
 * repeated blank would backtrack quadratically over a long run of blanks.)
 */
function withoutComment(value: string): string {
  const comment = value.search(/[ \t](?:#|\/\/)/);
  return (comment === -1 ? value : value.slice(0, comment)).trimEnd();
}

/**
 * An unquoted value at the start of a config-like line. YAML and TOML syntax (`|`, `>`, `{`, `[`,
 * `&`, `*`, `!`) and comments are not values; a real secret starting with those must be quoted
 * in those files anyway. `UPPER_NAME=value` with nothing around the `=` is a .env or shell line:
 * its value is taken literally, however it looks.
 */
export function findLineStartAssignment(line: string): Span[] {
  const match = LINE_START.exec(line);
  if (match === null) return [];
  const keyQuoted = match[1] !== '';
  const name = match[2] ?? '';
  const envStyle = match[4] === '=' && match[3] === '' && /^[A-Z_][A-Z0-9_]*$/.test(name);
  const start = match[0].length;
  let value = withoutComment(line.slice(start));
  if (value === '' || /^["'`]/.test(value)) return [];
  if (value.startsWith('#') && (match[4] === ':' || /[ \t]$/.test(match[0]))) return [];
  if (!envStyle && /^[|>{[&*!]/.test(value)) return [];
  // `"pin": 1234,` in JSON: the comma belongs to the document.
  if (keyQuoted && value.endsWith(',')) value = value.slice(0, -1);
  const span = assignedValueSpan(name, value, start, { envStyle, unquoted: true });
  return span === undefined ? [] : [span];
}
