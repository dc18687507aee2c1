/**
 * PEM private key blocks (RFC 7468 §10 `PRIVATE KEY`, §11 `ENCRYPTED PRIVATE KEY`; OpenSSL's
 * `RSA`/`EC`/`DSA PRIVATE KEY`; OpenSSH's `OPENSSH PRIVATE KEY`; RFC 4880 §6.2
 * `PGP PRIVATE KEY BLOCK`; RFC 4716-style `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----`), the
 * only secret that spans lines.
 *
 * A block is found with whatever sits in front of its lines: a diff's `+`/`-`/` ` marker, YAML
 * indentation, a string literal's quotes. Redacted, the BEGIN line keeps what came before
 * `-----BEGIN` and carries the marker; every following line keeps its diff marker and
 * indentation and shows the marker instead of the rest; the END line also keeps what follows
 * `-----END …-----`. The line count does not change. (In a diff the first character of each
 * line is taken for the diff marker and kept: outside a diff, when BEGIN's line started with
 * `+`, `-` or a space, that can keep one base64 character of a line that starts with `+`.)
 * A block written on one line (JSON's `"-----BEGIN…\n…\n-----END…"`) becomes one marker.
 *
 * A block without END ends at the first line that is not key material (base64, an RFC 7468
 * header, a blank line): a truncated paste does not blank the rest of the file. A BEGIN line
 * followed by fewer than 16 base64 characters is a mention (documentation, a parser's source),
 * not a key, and stays.
 */

/** One line's share of a block: `[start, end)` of line `line` (0-based) to cut. */
export interface KeyLineSpan {
  readonly line: number;
  readonly start: number;
  readonly end: number;
}

/** A private key block: where it starts, where it ends, and what to cut on each line. */
export interface KeyBlock {
  readonly firstLine: number;
  readonly lastLine: number;
  readonly spans: readonly KeyLineSpan[];
}

const BEGIN = /-{4,5} ?BEGIN (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)? ?-{4,5}/g;
const END = /-{4,5} ?END (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)? ?-{4,5}/g;
// Body lines: base64, maybe inside a string literal with `\n` and a `+` or `,` after it.
const BODY = /^["'`]?[A-Za-z0-9+/=]*(?:\\r)?(?:\\n)?["'`]?[ \t]*(?:[,;+\\][ \t]*)?$/;
const HEADER = /^[A-Za-z][A-Za-z0-9-]{0,40}:[ \t]/;
const MIN_KEY_CHARS = 16;

/** Base64 characters in `text`, not counting `\n` escapes or earlier redaction markers. */
function keyChars(text: string): number {
  return text.replace(/\\[nr]|\[REDACTED:[a-z-]+\]/g, '').replace(/[^A-Za-z0-9+/]/g, '').length;
}

/** Length of what a block line keeps: its diff marker (inside a diff) and its indentation. */
function keptPrefix(line: string, inDiff: boolean): number {
  return (inDiff ? /^[+ -]?[ \t]*/ : /^[ \t]*/).exec(line)?.[0].length ?? 0;
}

/** Where a block begun on `lines[first]` ends, and how much key material it holds. */
function blockEnd(
  lines: readonly string[],
  first: number,
  inDiff: boolean,
): { last: number; endColumn: number | undefined; chars: number } {
  let chars = 0;
  // Without END the block ends on its last line with content, not on the blank lines after it.
  let lastContent = first;
  for (let j = first + 1; j < lines.length; j++) {
    const line = lines[j] ?? '';
    const keep = keptPrefix(line, inDiff);
    const content = line.slice(keep);
    END.lastIndex = 0;
    const end = END.exec(content);
    if (end !== null)
      return {
        last: j,
        endColumn: keep + end.index + end[0].length,
        chars: chars + keyChars(content.slice(0, end.index)),
      };
    if (!BODY.test(content) && !HEADER.test(content))
      return { last: lastContent, endColumn: undefined, chars };
    if (!HEADER.test(content)) chars += keyChars(content);
    if (content.trim() !== '') lastContent = j;
  }
  return { last: lastContent, endColumn: undefined, chars };
}

/** The block begun by a BEGIN at `column` of `lines[first]` with no END on that line, if a key. */
function multiLineBlock(
  lines: readonly string[],
  first: number,
  column: number,
  afterHeader: number,
): (KeyBlock & { endColumn: number | undefined }) | undefined {
  const line = lines[first] ?? '';
  // Only what stands before BEGIN tells a diff: a bare PEM file's lines start with `-` too.
  const inDiff = /^[+ -]/.test(line.slice(0, column));
  const block = blockEnd(lines, first, inDiff);
  if (keyChars(line.slice(afterHeader)) + block.chars < MIN_KEY_CHARS) return undefined;
  const spans: KeyLineSpan[] = [{ line: first, start: column, end: line.length }];
  for (let j = first + 1; j <= block.last; j++) {
    const text = lines[j] ?? '';
    const end = j === block.last && block.endColumn !== undefined ? block.endColumn : text.length;
    spans.push({ line: j, start: keptPrefix(text, inDiff), end });
  }
  return { firstLine: first, lastLine: block.last, spans, endColumn: block.endColumn };
}

/** Every private key block in `lines` (which carry no `\n` and no `\r`). */
export function findPrivateKeys(lines: readonly string[]): KeyBlock[] {
  const blocks: KeyBlock[] = [];
  let from = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    BEGIN.lastIndex = from;
    from = 0;
    if (!line.includes('BEGIN')) continue;
    for (let begin = BEGIN.exec(line); begin !== null; begin = BEGIN.exec(line)) {
      const afterHeader = begin.index + begin[0].length;
      END.lastIndex = afterHeader;
      const end = END.exec(line);
      if (end !== null) {
        const after = end.index + end[0].length;
        if (keyChars(line.slice(afterHeader, end.index)) >= MIN_KEY_CHARS)
          blocks.push({
            firstLine: i,
            lastLine: i,
            spans: [{ line: i, start: begin.index, end: after }],
          });
        BEGIN.lastIndex = after;
        continue;
      }
      // No END on this line. A later BEGIN on it would be followed by less key material than
      // this one, so this is the line's last candidate.
      const block = multiLineBlock(lines, i, begin.index, afterHeader);
      if (block === undefined) break;
      blocks.push(block);
      // Go on after the block: on its END line (which may hold more), or after its last line.
      if (block.endColumn === undefined) i = block.lastLine;
      else {
        i = block.lastLine - 1;
        from = block.endColumn;
      }
      break;
    }
  }
  return blocks;
}
