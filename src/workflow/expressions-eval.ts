/**
 * Evaluating an expression tree against plain data. Lookups go through own properties of
 * plain objects only, so `inputs.constructor` or `env.__proto__` are `null`, never a
 * JavaScript object, and anything that is not JSON-like data reads as `null`.
 */
import type { Ast, FunctionName } from './expressions.ts';

/** What an expression works with: JSON-like data. */
export type Value = null | boolean | number | string | readonly Value[] | ValueObject;
/** An object value. */
export interface ValueObject {
  readonly [key: string]: Value;
}

/** The outcome of the jobs before this one, read by `success()`, `failure()`, `cancelled()`. */
export interface StatusContext {
  /** Every job this one needs (transitively) succeeded, and the run was not cancelled. */
  readonly success: boolean;
  /** A job this one needs (transitively) failed. */
  readonly failure: boolean;
  /** The run was cancelled. */
  readonly cancelled: boolean;
}

/** The data an expression can read; a missing context reads as `null`. */
export interface ExpressionContext {
  readonly inputs?: Value;
  readonly jobs?: Value;
  readonly steps?: Value;
  readonly env?: Value;
  /** Defaults to all needed jobs succeeded. */
  readonly status?: StatusContext;
}

const NO_STATUS: StatusContext = { success: true, failure: false, cancelled: false };

/** The value of an expression. */
export function evaluate(ast: Ast, context: ExpressionContext): Value {
  switch (ast.type) {
    case 'literal':
      return ast.value;
    case 'context':
      return ast.path.reduce<Value>(
        (value, key) => property(value, key),
        asValue(context[ast.context]),
      );
    case 'not':
      return !isTruthy(evaluate(ast.operand, context));
    case 'binary': {
      const left = evaluate(ast.left, context);
      switch (ast.operator) {
        // As in GitHub Actions, && and || give one of their operands, not a boolean.
        case '&&':
          return isTruthy(left) ? evaluate(ast.right, context) : left;
        case '||':
          return isTruthy(left) ? left : evaluate(ast.right, context);
        case '==':
          return looseEquals(left, evaluate(ast.right, context));
        case '!=':
          return !looseEquals(left, evaluate(ast.right, context));
      }
      break;
    }
    case 'call':
      return call(
        ast.name,
        ast.args.map((arg) => evaluate(arg, context)),
        context.status ?? NO_STATUS,
      );
  }
}

/** `false`, `0`, `NaN`, `''` and `null` are false; everything else is true. */
export function isTruthy(value: Value): boolean {
  if (value === null || value === false || value === '' || value === 0) return false;
  return !(typeof value === 'number' && Number.isNaN(value));
}

/** A value as text in an interpolated string: `null` is empty, lists and objects are JSON. */
export function toText(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Equality as in GitHub Actions: values of one type compare directly (strings case-sensitively,
 * unlike GitHub), values of different types compare as numbers (`'1' == 1`, `true == 1`).
 */
export function looseEquals(a: Value, b: Value): boolean {
  if (typeof a === 'object' || typeof b === 'object') {
    if (a === null || b === null) return a === b || toNumber(a) === toNumber(b);
    return a === b;
  }
  if (typeof a === typeof b) return a === b;
  return toNumber(a) === toNumber(b);
}

function toNumber(value: Value): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value.trim() === '' ? 0 : Number(value);
  return Number.NaN;
}

function call(name: FunctionName, args: readonly Value[], status: StatusContext): Value {
  const [a = null, b = null] = args;
  switch (name) {
    case 'success':
      return status.success;
    case 'failure':
      return status.failure;
    case 'cancelled':
      return status.cancelled;
    case 'always':
      return true;
    case 'contains':
      return Array.isArray(a)
        ? a.some((item: Value) => looseEquals(item, b))
        : toText(a).includes(toText(b));
    case 'startsWith':
      return toText(a).startsWith(toText(b));
  }
}

function property(value: Value, key: string): Value {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  return Object.hasOwn(value, key) ? asValue((value as ValueObject)[key]) : null;
}

/** Whatever the caller put in a context, only JSON-like data comes out. */
function asValue(value: unknown): Value {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) return value as Value[];
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null ? (value as ValueObject) : null;
}
