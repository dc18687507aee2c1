import { assignedValueSpan } from './assigned-value.ts';
import type { Span } from './spans.ts';

/**
 * Less common ways of writing `name = value`, each found anywhere in a line:
 * command-line flags (`--password=…`, `--token …`, `-Dapp.db.password=…`), query strings and
 * connection strings (`?access_token=…&`, `Server=db;Password=…;`, `.npmrc`'s
 * `//registry.npmjs.org/:_authToken=…`), XML elements (`<password>…</password>`, Maven's
 * settings.xml) and HTTP headers written inside a string (`-H "X-Api-Key: …"`).
 */

const FLAG = /(?<![^\s"'=])--?([A-Za-z][A-Za-z0-9_.-]{0,80})(=|[ \t]{1,8})/g;
// A flag's value runs to the next blank or quote, however long: FLAG.lastIndex then skips it.
const VALUE = /[^\s"'`]*/y;
// After `?`, `&` or `;`, or `:_` for .npmrc's `//registry/:_authToken=…`. A value stops at the
// next `?`, `=`, `&` or `;`, so one value never holds the start of the next pair.
const PAIR =
  /(?:(?<=[?&;][ \t]?)|(?<=:)(?=_))([A-Za-z_][A-Za-z0-9_-]{0,80})=([^&;#?=\s"'`<>]{1,4096})/dg;
const PAIR_REST = /[^&;#?=\s"'`<>]*/y;
const XML_ELEMENT = /<([A-Za-z_][\w.:-]{0,80})>([^<]{1,4096})<\/\1>/dg;
// One token after the colon: `'authentication: credentials refused'` is a message, not a header.
const QUOTED_HEADER = /(["'])([A-Za-z][A-Za-z0-9-]{0,60}):[ \t]*([^\s"']{1,4096})\1/dg;

/**
 * Flag values, taken literally as a shell would. After a space the value must not read as
 * prose (`the --password flag`), so a single lower-case word is left alone there, and an
 * upper-case word is a help text's metavariable (`--token TOKEN`).
 */
function findFlags(line: string): Span[] {
  const spans: Span[] = [];
  FLAG.lastIndex = 0;
  for (let match = FLAG.exec(line); match !== null; match = FLAG.exec(line)) {
    const start = match.index + match[0].length;
    if (line[start] === '-') continue;
    const quote = line[start];
    let value: string;
    let from = start;
    if (quote === '"' || quote === "'") {
      // `'--token=' + token`: this quote closes the string the flag was in.
      if (line[match.index - 1] === quote) continue;
      const end = line.indexOf(quote, start + 1);
      from = start + 1;
      value = line.slice(from, end === -1 ? line.length : end);
    } else {
      VALUE.lastIndex = start;
      value = VALUE.exec(line)?.[0] ?? '';
      // Flags inside a value are part of it; not scanning them again keeps this linear.
      FLAG.lastIndex = start + value.length;
      if (match[2] !== '=' && /^[a-z]+[.,:;!?]?$/.test(value)) continue;
    }
    // A metavariable in help text: `--token TOKEN`, `--api-key=API_KEY`.
    if (/^[A-Z_]+$/.test(value)) continue;
    const span = assignedValueSpan(match[1] ?? '', value, from);
    if (span !== undefined) spans.push(span);
  }
  return spans;
}

/**
 * The span of capture group `value` under name group `name`, if the pair holds a secret. `rest`
 * continues a value past the pattern's length bound, so a long one is not cut short.
 */
function pairSpans(
  line: string,
  pattern: RegExp,
  groups: { name: number; value: number },
  rest?: RegExp,
): Span[] {
  const spans: Span[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(line); match !== null; match = pattern.exec(line)) {
    const at = match.indices?.[groups.value];
    if (at === undefined) continue;
    // Go on from the value: `&ghp_=[…]?access_token=…` holds a pair inside a value.
    pattern.lastIndex = at[0];
    let end = at[1];
    if (rest !== undefined) {
      rest.lastIndex = end;
      end += rest.exec(line)?.[0].length ?? 0;
    }
    const span = assignedValueSpan(match[groups.name] ?? '', line.slice(at[0], end), at[0]);
    if (span !== undefined) spans.push(span);
  }
  return spans;
}

/** Flags, query/connection-string pairs, XML elements and in-string headers in `line`. */
export function findAssignmentForms(line: string): Span[] {
  const spans: Span[] = [];
  if (line.includes('-')) spans.push(...findFlags(line));
  if (line.includes('=')) spans.push(...pairSpans(line, PAIR, { name: 1, value: 2 }, PAIR_REST));
  if (line.includes('</')) spans.push(...pairSpans(line, XML_ELEMENT, { name: 1, value: 2 }));
  if (line.includes(':')) spans.push(...pairSpans(line, QUOTED_HEADER, { name: 2, value: 3 }));
  return spans;
}
