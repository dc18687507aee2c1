/**
 * Strings with `${{ … }}` in them (templates) and `if:` conditions, which may be written with
 * or without the `${{ }}` around them, as in GitHub Actions.
 */
import { UsageError } from '../errors.ts';
import { parseExpression, type Ast } from './expressions.ts';
import { evaluate, isTruthy, toText, type ExpressionContext } from './expressions-eval.ts';

/** A piece of a template: literal text, or an expression (`start`: index of its first character). */
export type TemplatePart =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'expression';
      readonly ast: Ast;
      readonly source: string;
      readonly start: number;
    };

/** What parsing a template gave; `column` is 1-based in the template. */
export type TemplateParse =
  | { readonly ok: true; readonly parts: readonly TemplatePart[] }
  | { readonly ok: false; readonly column: number; readonly message: string };

/** A condition's expression text and where it starts in the written value. */
export interface ConditionSource {
  readonly source: string;
  readonly start: number;
}

const OPEN = '${{';
const CLOSE = '}}';

/** Whether a string has a `${{` in it. */
export function hasExpression(text: string): boolean {
  return text.includes(OPEN);
}

/** Split a template into text and parsed expressions. */
export function parseTemplate(template: string): TemplateParse {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf(OPEN, i);
    if (open < 0) break;
    if (open > i) parts.push({ type: 'text', text: template.slice(i, open) });
    const start = open + OPEN.length;
    const close = findClose(template, start);
    if (close < 0)
      return { ok: false, column: open + 1, message: 'unterminated ${{ (expected }})' };
    const source = template.slice(start, close);
    const parsed = parseExpression(source);
    if (!parsed.ok) return { ok: false, column: start + parsed.column, message: parsed.message };
    parts.push({ type: 'expression', ast: parsed.ast, source: source.trim(), start });
    i = close + CLOSE.length;
  }
  if (i < template.length) parts.push({ type: 'text', text: template.slice(i) });
  return { ok: true, parts };
}

/** Replace every `${{ … }}` of a template by its value as text. */
export function interpolate(template: string, context: ExpressionContext): string {
  const parsed = parseTemplate(template);
  if (!parsed.ok) {
    throw new UsageError(`${JSON.stringify(template)}: column ${parsed.column}: ${parsed.message}`);
  }
  return parsed.parts
    .map((part) => (part.type === 'text' ? part.text : toText(evaluate(part.ast, context))))
    .join('');
}

/**
 * The expression of an `if:` value: the whole value, or what one `${{ }}` around all of it
 * holds. A value mixing text and `${{ }}` is refused: it would always be a non-empty string,
 * so always true — a classic GitHub Actions mistake.
 */
export function conditionSource(value: string): ConditionSource | { readonly error: string } {
  const trimmed = value.trim();
  const lead = value.indexOf(trimmed);
  if (!trimmed.startsWith(OPEN)) {
    return hasExpression(value)
      ? { error: 'write the whole condition inside one ${{ }}, or leave ${{ }} out' }
      : { source: value, start: 0 };
  }
  const close = findClose(trimmed, OPEN.length);
  if (close !== trimmed.length - CLOSE.length) {
    return close < 0
      ? { error: 'unterminated ${{ (expected }})' }
      : { error: 'write the whole condition inside one ${{ }}, or leave ${{ }} out' };
  }
  return { source: trimmed.slice(OPEN.length, close), start: lead + OPEN.length };
}

/** Evaluate an `if:` value (with or without `${{ }}`) to true or false. */
export function evaluateCondition(value: string, context: ExpressionContext): boolean {
  const condition = conditionSource(value);
  if ('error' in condition)
    throw new UsageError(`if: ${JSON.stringify(value)}: ${condition.error}`);
  const parsed = parseExpression(condition.source);
  if (!parsed.ok) {
    const column = condition.start + parsed.column;
    throw new UsageError(`if: ${JSON.stringify(value)}: column ${column}: ${parsed.message}`);
  }
  return isTruthy(evaluate(parsed.ast, context));
}

/** Index of the `}}` closing an expression that starts at `from`, skipping string literals; -1 if none. */
export function findClose(text: string, from: number): number {
  let quoted = false;
  for (let i = from; i < text.length; i += 1) {
    const c = text.charAt(i);
    if (c === "'") quoted = !quoted;
    else if (!quoted && text.startsWith(CLOSE, i)) return i;
  }
  return -1;
}
