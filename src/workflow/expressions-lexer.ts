/**
 * Tokens of the `${{ … }}` expression language (specs/workflow.schema.json, "Expressions").
 * Deliberately small: no arithmetic, no indexing, nothing that could reach a JavaScript object.
 */

/** One token; `start` is its index in the expression text. */
export type Token =
  | { readonly type: 'string'; readonly value: string; readonly start: number }
  | { readonly type: 'number'; readonly value: number; readonly start: number }
  | { readonly type: 'name'; readonly value: string; readonly start: number }
  | { readonly type: 'symbol'; readonly value: Punctuation; readonly start: number }
  | { readonly type: 'end'; readonly start: number };

/** Operators and punctuation. */
export type Punctuation = '==' | '!=' | '&&' | '||' | '!' | '(' | ')' | ',' | '.';

/** A syntax error at an index of the expression text; caught by the parser, never escapes. */
export class ExpressionSyntaxFailure extends Error {
  readonly index: number;

  constructor(message: string, index: number) {
    super(message);
    this.index = index;
  }
}

// Names may contain `-` because job ids do (`jobs.build-linux.result`); there is no minus operator.
const NAME = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const SYMBOLS: readonly Punctuation[] = ['==', '!=', '&&', '||', '!', '(', ')', ',', '.'];
const MISTAKES: Readonly<Record<string, string>> = { '=': '==', '&': '&&', '|': '||', '"': "'" };

/** Split an expression into tokens, ending with an `end` token. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const token = readToken(text, i);
    tokens.push(token.token);
    i = token.next;
  }
  tokens.push({ type: 'end', start: text.length });
  return tokens;
}

function readToken(text: string, i: number): { token: Token; next: number } {
  const c = text.charAt(i);
  if (c === "'") return readString(text, i);
  const number = match(NUMBER, text, i);
  if (number !== undefined && !/[A-Za-z_]/.test(text.charAt(i + number.length))) {
    return { token: { type: 'number', value: Number(number), start: i }, next: i + number.length };
  }
  const name = match(NAME, text, i);
  if (name !== undefined)
    return { token: { type: 'name', value: name, start: i }, next: i + name.length };
  const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
  if (symbol !== undefined) {
    return { token: { type: 'symbol', value: symbol, start: i }, next: i + symbol.length };
  }
  const hint = MISTAKES[c];
  throw new ExpressionSyntaxFailure(
    hint === undefined
      ? `unexpected character ${JSON.stringify(c)}`
      : `unexpected ${JSON.stringify(c)}, did you mean ${JSON.stringify(hint)}?`,
    i,
  );
}

/** A string literal in single quotes; `''` inside it is one quote (as in GitHub Actions). */
function readString(text: string, start: number): { token: Token; next: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    const close = text.indexOf("'", i);
    if (close < 0) throw new ExpressionSyntaxFailure('unterminated string', start);
    value += text.slice(i, close);
    if (text.charAt(close + 1) !== "'")
      return { token: { type: 'string', value, start }, next: close + 1 };
    value += "'";
    i = close + 2;
  }
}

function match(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}
