/**
 * The `${{ … }}` expression language: a parser to a plain-data syntax tree. There is no
 * `eval` and no property access on arbitrary values — only the four named contexts can be
 * read — so an expression can never reach a JavaScript object (see expressions-eval.ts).
 */
import {
  ExpressionSyntaxFailure,
  tokenize,
  type Punctuation,
  type Token,
} from './expressions-lexer.ts';

/** The contexts an expression may read. */
export type ContextName = 'inputs' | 'jobs' | 'steps' | 'env';
/** The functions an expression may call. */
export type FunctionName =
  'success' | 'failure' | 'always' | 'cancelled' | 'contains' | 'startsWith';
/** Binary operators, loosest first: `||`, `&&`, then `==` and `!=`. */
export type BinaryOperator = '||' | '&&' | '==' | '!=';

/** A syntax tree node; `start` is its index in the expression text. */
export type Ast =
  | {
      readonly type: 'literal';
      readonly value: string | number | boolean | null;
      readonly start: number;
    }
  | {
      readonly type: 'context';
      readonly context: ContextName;
      readonly path: readonly string[];
      readonly start: number;
    }
  | { readonly type: 'not'; readonly operand: Ast; readonly start: number }
  | {
      readonly type: 'binary';
      readonly operator: BinaryOperator;
      readonly left: Ast;
      readonly right: Ast;
      readonly start: number;
    }
  | {
      readonly type: 'call';
      readonly name: FunctionName;
      readonly args: readonly Ast[];
      readonly start: number;
    };

/** What parsing gave: the tree, or what is wrong and where (1-based column in the text). */
export type ExpressionParse =
  | { readonly ok: true; readonly ast: Ast }
  | { readonly ok: false; readonly column: number; readonly message: string };

/** The contexts, in the order error messages list them. */
export const CONTEXT_NAMES: readonly ContextName[] = ['inputs', 'jobs', 'steps', 'env'];
/** How many arguments each function takes. */
export const FUNCTION_ARITY: Readonly<Record<FunctionName, number>> = {
  success: 0,
  failure: 0,
  always: 0,
  cancelled: 0,
  contains: 2,
  startsWith: 2,
};
/** The functions that read the status of the jobs before: only allowed in a job's `if`. */
export const STATUS_FUNCTIONS: ReadonlySet<FunctionName> = new Set([
  'success',
  'failure',
  'always',
  'cancelled',
]);

// Deep enough for any real condition, shallow enough that recursion cannot exhaust the stack.
const MAX_DEPTH = 32;

/** Parse an expression (the text between `${{` and `}}`). */
export function parseExpression(text: string): ExpressionParse {
  try {
    const parser = new Parser(tokenize(text));
    if (parser.peek().type === 'end') throw new ExpressionSyntaxFailure('empty expression', 0);
    const ast = parser.or(0);
    const rest = parser.peek();
    if (rest.type !== 'end') {
      throw new ExpressionSyntaxFailure(
        `unexpected ${describe(rest)} after the expression`,
        rest.start,
      );
    }
    return { ok: true, ast };
  } catch (error) {
    if (!(error instanceof ExpressionSyntaxFailure)) throw error;
    return { ok: false, column: error.index + 1, message: error.message };
  }
}

/** Every node of a tree, parents before children. */
export function* astNodes(ast: Ast): Generator<Ast> {
  yield ast;
  switch (ast.type) {
    case 'literal':
    case 'context':
      return;
    case 'not':
      yield* astNodes(ast.operand);
      return;
    case 'binary':
      yield* astNodes(ast.left);
      yield* astNodes(ast.right);
      return;
    case 'call':
      for (const arg of ast.args) yield* astNodes(arg);
      return;
  }
}

/** Recursive descent over the grammar in specs/workflow.schema.json. */
class Parser {
  readonly #tokens: readonly Token[];
  #at = 0;

  constructor(tokens: readonly Token[]) {
    this.#tokens = tokens;
  }

  peek(): Token {
    return this.#tokens[this.#at] ?? { type: 'end', start: 0 };
  }

  or(depth: number): Ast {
    return this.#binary(depth, ['||'], (d) => this.#and(d));
  }

  #and(depth: number): Ast {
    return this.#binary(depth, ['&&'], (d) => this.#equality(d));
  }

  #equality(depth: number): Ast {
    return this.#binary(depth, ['==', '!='], (d) => this.#unary(d));
  }

  #binary(depth: number, operators: readonly BinaryOperator[], next: (d: number) => Ast): Ast {
    let left = next(depth);
    for (;;) {
      const token = this.peek();
      const operator = operators.find((o) => this.#isSymbol(token, o));
      if (operator === undefined) return left;
      this.#at += 1;
      left = { type: 'binary', operator, left, right: next(depth), start: left.start };
    }
  }

  #unary(depth: number): Ast {
    const token = this.peek();
    if (depth > MAX_DEPTH)
      throw new ExpressionSyntaxFailure('expression nested too deeply', token.start);
    if (!this.#isSymbol(token, '!')) return this.#primary(depth);
    this.#at += 1;
    return { type: 'not', operand: this.#unary(depth + 1), start: token.start };
  }

  #primary(depth: number): Ast {
    const token = this.#next();
    switch (token.type) {
      case 'string':
      case 'number':
        return { type: 'literal', value: token.value, start: token.start };
      case 'name':
        return this.#name(token.value, token.start, depth);
      case 'symbol':
        if (token.value === '(') {
          const inner = this.or(depth + 1);
          this.#expect(')');
          return inner;
        }
        break;
      case 'end':
        break;
    }
    throw new ExpressionSyntaxFailure(`expected a value, found ${describe(token)}`, token.start);
  }

  #name(name: string, start: number, depth: number): Ast {
    if (name === 'true' || name === 'false')
      return { type: 'literal', value: name === 'true', start };
    if (name === 'null') return { type: 'literal', value: null, start };
    if (this.#isSymbol(this.peek(), '(')) return this.#call(name, start, depth);
    if (!isContextName(name)) {
      throw new ExpressionSyntaxFailure(
        `unknown context ${JSON.stringify(name)} (contexts: ${CONTEXT_NAMES.join(', ')}; strings are in single quotes)`,
        start,
      );
    }
    const path: string[] = [];
    while (this.#isSymbol(this.peek(), '.')) {
      this.#at += 1;
      const part = this.#next();
      if (part.type !== 'name') {
        throw new ExpressionSyntaxFailure(
          `expected a name after ".", found ${describe(part)}`,
          part.start,
        );
      }
      path.push(part.value);
    }
    return { type: 'context', context: name, path, start };
  }

  #call(name: string, start: number, depth: number): Ast {
    if (!isFunctionName(name)) {
      const known = Object.keys(FUNCTION_ARITY).join(', ');
      throw new ExpressionSyntaxFailure(
        `unknown function ${JSON.stringify(name)} (functions: ${known})`,
        start,
      );
    }
    this.#at += 1; // the "("
    const args: Ast[] = [];
    if (!this.#isSymbol(this.peek(), ')')) {
      args.push(this.or(depth + 1));
      while (this.#isSymbol(this.peek(), ',')) {
        this.#at += 1;
        args.push(this.or(depth + 1));
      }
    }
    this.#expect(')');
    const arity = FUNCTION_ARITY[name];
    if (args.length !== arity) {
      throw new ExpressionSyntaxFailure(
        `${name}() takes ${arity === 0 ? 'no arguments' : `${arity} arguments`}, got ${args.length}`,
        start,
      );
    }
    return { type: 'call', name, args, start };
  }

  #expect(symbol: Punctuation): void {
    const token = this.#next();
    if (!this.#isSymbol(token, symbol)) {
      throw new ExpressionSyntaxFailure(
        `expected "${symbol}", found ${describe(token)}`,
        token.start,
      );
    }
  }

  #next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.#at += 1;
    return token;
  }

  #isSymbol(token: Token, symbol: Punctuation): boolean {
    return token.type === 'symbol' && token.value === symbol;
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case 'end':
      return 'the end of the expression';
    case 'string':
      return `'${token.value}'`;
    case 'number':
    case 'name':
    case 'symbol':
      return JSON.stringify(String(token.value));
  }
}

function isContextName(name: string): name is ContextName {
  return (CONTEXT_NAMES as readonly string[]).includes(name);
}

function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(FUNCTION_ARITY, name);
}
