/**
 * A step's `run` line as an argv. The worker's runner executes programs directly and refuses
 * shells unless its policy allows `sh`, so `run` is split into words the way a POSIX shell
 * would split them (quotes, backslashes) and never given to a shell: no variables, globs,
 * pipes or redirections. Shell syntax that would silently mean something else is refused.
 * The line is split before interpolation, so a `${{ }}` value stays one argument whatever it
 * holds (spaces, quotes, `;`): outputs of other jobs cannot inject arguments.
 */
import { UsageError } from '../errors.ts';
import { findClose, interpolate } from './expressions-template.ts';
import type { ExpressionContext } from './expressions-eval.ts';

/** The words of a run line (still templates), or what is wrong and where (1-based column). */
export type CommandLineSplit =
  | { readonly ok: true; readonly words: readonly string[] }
  | { readonly ok: false; readonly column: number; readonly message: string };

const NO_SHELL =
  'run is not given to a shell; for that, write run: sh -c "…" (if the agent\'s policy allows sh)';
const OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')', '`']);
const EXPANSION = /[A-Za-z_{(0-9@*#?$!-]/;

/** Failure inside the splitter, turned into a result at its edge. */
class SplitFailure extends Error {
  readonly index: number;

  constructor(message: string, index: number) {
    super(message);
    this.index = index;
  }
}

/** Split a run line into word templates. */
export function splitCommandLine(line: string): CommandLineSplit {
  try {
    const words = new Splitter(line.trimEnd()).words();
    if (words.length === 0) return { ok: false, column: 1, message: 'run is empty' };
    return { ok: true, words };
  } catch (error) {
    if (!(error instanceof SplitFailure)) throw error;
    return { ok: false, column: error.index + 1, message: error.message };
  }
}

/** The argv of a run line: split, then each word interpolated on its own. */
export function commandArgv(run: string, context: ExpressionContext): string[] {
  const split = splitCommandLine(run);
  if (!split.ok) throw new UsageError(`run: column ${split.column}: ${split.message}`);
  return split.words.map((word) => interpolate(word, context));
}

class Splitter {
  readonly #text: string;
  #i = 0;

  constructor(text: string) {
    this.#text = text;
  }

  words(): string[] {
    const words: string[] = [];
    let word: string | undefined;
    while (this.#i < this.#text.length) {
      const c = this.#text.charAt(this.#i);
      if (c === ' ' || c === '\t') {
        if (word !== undefined) words.push(word);
        word = undefined;
        this.#i += 1;
      } else if (this.#text.startsWith('\\\n', this.#i)) {
        this.#i += 2; // a line continuation: gone before words are split
      } else word = (word ?? '') + this.#piece(c, word === undefined);
    }
    if (word !== undefined) words.push(word);
    return words;
  }

  /** The next piece of a word, starting at the current character `c`. */
  #piece(c: string, wordStart: boolean): string {
    const at = this.#i;
    if (this.#text.startsWith('${{', at)) return this.#expression();
    this.#i += 1;
    switch (c) {
      case "'":
        return this.#quoted("'", at);
      case '"':
        return this.#quoted('"', at);
      case '\\':
        return this.#escaped(at, true);
      case '\n':
        throw new SplitFailure(
          'run holds one command, and a new line would start another in a shell; use one step per command, or sh -c',
          at,
        );
      case '$':
        if (EXPANSION.test(this.#text.charAt(this.#i))) throw this.#expansion(at);
        return c;
      default:
        if (OPERATORS.has(c)) {
          throw new SplitFailure(`${JSON.stringify(c)} is shell syntax, but ${NO_SHELL}`, at);
        }
        if (wordStart && (c === '#' || c === '~')) {
          const what = c === '#' ? 'a comment' : 'the home directory';
          throw new SplitFailure(
            `"${c}" would be ${what} in a shell, but ${NO_SHELL}; quote it to keep it`,
            at,
          );
        }
        return c;
    }
  }

  /** The rest of a quoted string; only `${{ }}` and (in double quotes) `\` are special. */
  #quoted(quote: string, open: number): string {
    let text = '';
    for (;;) {
      const c = this.#text.charAt(this.#i);
      if (this.#i >= this.#text.length) throw new SplitFailure(`unterminated ${quote} quote`, open);
      if (c === quote) {
        this.#i += 1;
        return text;
      }
      if (this.#text.startsWith('${{', this.#i)) text += this.#expression();
      else if (quote === '"' && c === '`') {
        throw new SplitFailure(`"\`" is shell syntax, but ${NO_SHELL}`, this.#i);
      } else if (quote === '"' && c === '$' && EXPANSION.test(this.#text.charAt(this.#i + 1))) {
        throw this.#expansion(this.#i);
      } else if (quote === '"' && c === '\\') {
        this.#i += 1;
        text += this.#escaped(this.#i - 1, false);
      } else {
        text += c;
        this.#i += 1;
      }
    }
  }

  /** After a backslash: outside quotes it keeps any character; in double quotes only `$ \` " \\`. */
  #escaped(at: number, bare: boolean): string {
    const next = this.#text.charAt(this.#i);
    if (this.#i >= this.#text.length)
      throw new SplitFailure('a backslash at the end of run escapes nothing', at);
    this.#i += 1;
    if (next === '\n') return ''; // a line continuation inside double quotes
    return bare || '$`"\\'.includes(next) ? next : `\\${next}`;
  }

  /** A `${{ … }}`, kept as written for interpolation. */
  #expression(): string {
    const start = this.#i;
    const close = findClose(this.#text, start + 3);
    if (close < 0) throw new SplitFailure('unterminated ${{ (expected }})', start);
    this.#i = close + 2;
    return this.#text.slice(start, this.#i);
  }

  #expansion(at: number): SplitFailure {
    const written =
      /^\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[^}]*\}?|.)/.exec(this.#text.slice(at))?.[0] ?? '$';
    return new SplitFailure(
      `"${written}" would be expanded by a shell, but run is not given to one: write \${{ env.NAME }} for a value, '$' in single quotes for a literal $, or run: sh -c "…" (if the agent's policy allows sh)`,
      at,
    );
  }
}
