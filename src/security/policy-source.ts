/**
 * Where each key of a TOML document sits, so a value error can name `file:line:column` like a
 * syntax error does (smol-toml reports positions only for syntax). A line scanner is enough: it
 * follows table headers, `key =` lines, and skips the inside of strings, multi-line strings,
 * arrays and inline tables, which is where a `key =` look-alike could otherwise appear.
 */

/** 1-based line and column. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** Key paths (`defaults.timeout`, `allow[1].cwd`, `allow[1]`) to where they are written. */
export type KeyPositions = ReadonlyMap<string, SourcePosition>;

const BARE_KEY = String.raw`[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'`;
const KEY_LINE = new RegExp(String.raw`^((?:${BARE_KEY})(?:\s*\.\s*(?:${BARE_KEY}))*)\s*=`);
const HEADER = new RegExp(
  String.raw`^(\[\[?)\s*((?:${BARE_KEY})(?:\s*\.\s*(?:${BARE_KEY}))*)\s*\]`,
);

interface ScanState {
  /** Open multi-line string delimiter, if a line ended inside one. */
  multiline?: '"""' | "'''";
  /** Depth of open `[` and `{` in a value. */
  depth: number;
}

/** Find every key and table header of `text`. */
export function locateKeys(text: string): KeyPositions {
  const positions = new Map<string, SourcePosition>();
  const arrayCounts = new Map<string, number>();
  const state: ScanState = { depth: 0 };
  let table = '';
  text.split(/\r?\n/).forEach((raw, i) => {
    if (state.multiline !== undefined || state.depth > 0) {
      scanValue(raw, 0, state);
      return;
    }
    const indent = raw.length - raw.trimStart().length;
    const line = raw.slice(indent);
    const at = { line: i + 1, column: indent + 1 };
    const header = HEADER.exec(line);
    if (header !== null) {
      const name = keyPath(header[2] ?? '');
      if (header[1] === '[[') {
        const index = arrayCounts.get(name) ?? 0;
        arrayCounts.set(name, index + 1);
        table = `${name}[${String(index)}]`;
      } else {
        table = name;
      }
      if (!positions.has(table)) positions.set(table, at);
      return;
    }
    const key = KEY_LINE.exec(line);
    if (key === null) return;
    const path = table === '' ? keyPath(key[1] ?? '') : `${table}.${keyPath(key[1] ?? '')}`;
    if (!positions.has(path)) positions.set(path, at);
    scanValue(line, key[0].length, state);
  });
  return positions;
}

/** `a . "b c"` → `a.b c`: the dotted path as the parsed document names it. */
function keyPath(written: string): string {
  const parts = written.match(new RegExp(BARE_KEY, 'g')) ?? [];
  return parts
    .map((part) => (part.startsWith('"') || part.startsWith("'") ? part.slice(1, -1) : part))
    .join('.');
}

/** Follow strings and brackets through a value from `start`, updating `state`. */
function scanValue(line: string, start: number, state: ScanState): void {
  let i = start;
  while (i < line.length) {
    if (state.multiline !== undefined) {
      const end = line.indexOf(state.multiline, i);
      if (end < 0) return;
      i = end + 3;
      state.multiline = undefined;
      continue;
    }
    const ch = line[i];
    if (ch === '#') return;
    if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
      state.multiline = line.startsWith('"""', i) ? '"""' : "'''";
      i += 3;
    } else if (ch === '"' || ch === "'") {
      i = skipString(line, i, ch);
    } else {
      if (ch === '[' || ch === '{') state.depth += 1;
      if (ch === ']' || ch === '}') state.depth = Math.max(0, state.depth - 1);
      i += 1;
    }
  }
}

/** Index just after the single-line string opening at `start`. */
function skipString(line: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < line.length && line[i] !== quote) i += quote === '"' && line[i] === '\\' ? 2 : 1;
  return i + 1;
}
