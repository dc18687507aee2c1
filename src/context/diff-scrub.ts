import { isUtf8 } from 'node:buffer';
import type { GitSnapshot } from './bundle.ts';
import { scrubText, type Redaction } from './scrub-text.ts';
import type { RedactedSecret } from './withheld.ts';

/**
 * The scrubber over a `git diff --binary` patch, one file section at a time, so each redaction
 * can name its file and its line in that file. Of a `GIT binary patch` only the header is
 * scrubbed: base85 cannot be redacted in place, so the caller leaves binary files holding a
 * secret out of the diff before it gets here. A patch that is not valid UTF-8 (a latin1 source file) is
 * scrubbed in its latin1 reading, in which every byte is one character, so the bytes around a
 * redaction come back exactly; it then travels as base64.
 */

const HUNK = /^@@ -([0-9]+)(?:,[0-9]+)? \+([0-9]+)(?:,[0-9]+)? @@/;

/** Undoes git's C-style quoting of a path (core.quotePath): `"a\tb"` → a<TAB>b. */
function unquote(path: string): string {
  if (!path.startsWith('"') || !path.endsWith('"')) return path;
  const escapes: Record<string, string> = { t: '\t', n: '\n', '"': '"', '\\': '\\' };
  return path
    .slice(1, -1)
    .replace(/\\([0-7]{3}|.)/g, (_, code: string) =>
      code.length === 3 ? String.fromCharCode(parseInt(code, 8)) : (escapes[code] ?? code),
    );
}

/** The file a section is about: its new name, else its old one. */
function sectionPath(lines: readonly string[]): string {
  for (const prefix of ['rename to ', 'copy to ', '+++ b/', '--- a/']) {
    const line = lines.find((l) => l.startsWith(prefix));
    // git ends a name containing a space with a tab on ---/+++ lines, for patch(1).
    if (line !== undefined) return unquote(line.slice(prefix.length).replace(/\t$/, ''));
  }
  const header = (lines[0] ?? '').slice('diff --git a/'.length);
  // `a/P b/P`: both halves are the same path when nothing was renamed.
  return unquote(header.slice(0, Math.max(0, (header.length - ' b/'.length) / 2)));
}

/**
 * For each line of a section, its line in the file (new side; old side for a removed line), or
 * nothing for header lines (and hunk headers, whose trailing context is another line).
 */
function fileLines(lines: readonly string[]): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  for (const line of lines) {
    const hunk = HUNK.exec(line);
    if (hunk !== null) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      inHunk = true;
      out.push(undefined);
    } else if (!inHunk || line.startsWith('\\')) out.push(undefined);
    else if (line.startsWith('+')) out.push(newLine++);
    else if (line.startsWith('-')) out.push(oldLine++);
    else {
      // Context, or an empty line where diff.suppressBlankEmpty dropped the blank.
      out.push(newLine++);
      oldLine++;
    }
  }
  return out;
}

/** A redaction in a section, placed in its file. */
function place(redaction: Redaction, path: string, lines: readonly (number | undefined)[]) {
  const line = lines[redaction.line - 1];
  const endLine = redaction.endLine === undefined ? undefined : lines[redaction.endLine - 1];
  const base = { ...redaction, source: 'diff' as const, path };
  if (line === undefined) return { ...base, header: true as const };
  // Columns count from the file's first character, not the diff's +, - or blank.
  return {
    ...base,
    line,
    column: Math.max(1, redaction.column - 1),
    ...(endLine === undefined ? {} : { endLine }),
  };
}

/** The patch with its text sections scrubbed, as a snapshot carries it, and what was redacted. */
export function scrubDiff(patch: Buffer): {
  diff: GitSnapshot['diff'];
  redactions: RedactedSecret[];
} {
  const utf8 = isUtf8(patch);
  const lines = patch.toString(utf8 ? 'utf8' : 'latin1').split('\n');
  // Where each file's section starts, and where its text ends: at `GIT binary patch`, since
  // of a binary section only the header (paths, modes) is text to scrub.
  let current = { start: 0, end: lines.length };
  const sections = [current];
  lines.forEach((line, i) => {
    if (i > 0 && line.startsWith('diff --git ')) {
      current.end = Math.min(current.end, i);
      current = { start: i, end: lines.length };
      sections.push(current);
    } else if (line === 'GIT binary patch') current.end = Math.min(current.end, i);
  });
  const redactions: RedactedSecret[] = [];
  for (const { start, end } of sections) {
    const section = lines.slice(start, end);
    const scrubbed = scrubText(section.join('\n'));
    if (scrubbed.redactions.length === 0) continue;
    const out = scrubbed.text.split('\n');
    // Same line count (scrubText keeps it); assigned one by one, as a spread of a 100k-line
    // section would overflow the call stack.
    out.forEach((line, i) => (lines[start + i] = line));
    const path = sectionPath(out);
    const numbers = fileLines(section);
    for (const redaction of scrubbed.redactions) redactions.push(place(redaction, path, numbers));
  }
  const bytes =
    redactions.length === 0 ? patch : Buffer.from(lines.join('\n'), utf8 ? 'utf8' : 'latin1');
  return {
    diff: {
      encoding: utf8 ? 'utf8' : 'base64',
      data: bytes.toString(utf8 ? 'utf8' : 'base64'),
      bytes: bytes.length,
    },
    redactions,
  };
}
