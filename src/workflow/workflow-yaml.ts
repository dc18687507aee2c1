/**
 * Reading a YAML document node by node while collecting problems, each tied to the line and
 * column of the node it is about, so one check reports every mistake in a file at once.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
} from 'yaml';
import { quote } from '../errors.ts';
import { didYouMean } from './workflow-suggest.ts';

/** One mistake in a workflow file. */
export interface WorkflowProblem {
  readonly line: number;
  readonly column: number;
  /** Where in the document, like `jobs.test.needs[0]`; empty for YAML syntax errors. */
  readonly path: string;
  readonly message: string;
}

// A workflow repeats itself a little; past this many alias uses it is a "billion laughs".
const MAX_ALIASES = 1000;

/** Keys and indexes from the document root. */
export type Path = readonly (string | number)[];

/** One key of a map, with its value node. */
export interface Entry {
  readonly key: string;
  readonly keyNode: Node;
  readonly value: Node | null;
  readonly path: Path;
}

/** `jobs.test.needs[0]`. */
export function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** A parsed YAML document and the problems found in it so far. */
export class YamlSource {
  readonly problems: WorkflowProblem[] = [];
  readonly root: Node | null;
  readonly #text: string;
  readonly #lines = new LineCounter();
  readonly #doc: Document;
  #aliases = 0;

  constructor(text: string) {
    this.#text = text;
    this.#doc = parseDocument(text, {
      lineCounter: this.#lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
    for (const error of this.#doc.errors) {
      const { line, col } = this.#lines.linePos(error.pos[0]);
      const message = error.message.replace(/ at line \d+, column \d+[\s\S]*$/, '');
      this.problems.push({ line, column: col, path: '', message: `YAML: ${message}` });
    }
    this.root = this.resolve(this.#doc.contents);
  }

  /** Record a problem at a node (or at `index` characters into a string scalar). */
  report(at: Node | null, path: Path, message: string, index?: number): void {
    const { line, col } = this.#lines.linePos(at === null ? 0 : this.#offset(at, index));
    this.problems.push({ line, column: col, path: formatPath(path), message });
  }

  /** Record "expected X, got Y". */
  expected(at: Node | null, path: Path, what: string): void {
    this.report(at, path, `expected ${what}, got ${describe(at)}`);
  }

  /** A value node, aliases followed (up to a budget: nested aliases can blow up exponentially). */
  resolve(value: unknown): Node | null {
    if (isAlias(value)) {
      this.#aliases += 1;
      if (this.#aliases === MAX_ALIASES + 1) {
        this.report(
          value,
          [],
          `more than ${MAX_ALIASES} uses of YAML aliases (*name); write the values out`,
        );
      }
      return this.#aliases > MAX_ALIASES ? null : this.resolve(value.resolve(this.#doc));
    }
    return isScalar(value) || isMap(value) || isSeq(value) ? value : null;
  }

  /** The keys of a map; unknown keys (when `allowed` is given) are reported and left out. */
  entries(node: Node | null, path: Path, allowed?: readonly string[]): Entry[] | undefined {
    if (!isMap(node)) {
      this.expected(node, path, 'a map');
      return undefined;
    }
    const entries: Entry[] = [];
    for (const pair of node.items) {
      const keyNode = this.resolve(pair.key);
      const key = isScalar(keyNode) ? keyNode.value : undefined;
      if (keyNode === null || !(typeof key === 'string' || typeof key === 'number')) {
        this.report(keyNode ?? node, path, 'expected a key made of text');
        continue;
      }
      const entry = {
        key: String(key),
        keyNode,
        value: this.resolve(pair.value),
        path: [...path, String(key)],
      };
      if (allowed === undefined || allowed.includes(entry.key)) entries.push(entry);
      else {
        const hint = didYouMean(entry.key, allowed);
        this.report(keyNode, entry.path, `unknown key${hint || ` (keys: ${allowed.join(', ')})`}`);
      }
    }
    return entries;
  }

  /** Report the keys of `required` that a map lacks. */
  require(
    node: Node | null,
    path: Path,
    entries: readonly Entry[],
    required: readonly string[],
  ): void {
    for (const key of required) {
      if (!entries.some((e) => e.key === key))
        this.report(node, path, `missing required key "${key}"`);
    }
  }

  /** The items of a list. */
  items(node: Node | null, path: Path): { node: Node | null; path: Path }[] | undefined {
    if (!isSeq(node)) {
      this.expected(node, path, 'a list');
      return undefined;
    }
    return node.items.map((item, i) => ({ node: this.resolve(item), path: [...path, i] }));
  }

  /** A string scalar (a YAML string, not a number or boolean). */
  string(node: Node | null, path: Path, what = 'a string'): string | undefined {
    if (isScalar(node) && typeof node.value === 'string') return node.value;
    this.expected(node, path, what);
    return undefined;
  }

  /** Offset of a node, or of `index` characters into a one-line string written as it reads. */
  #offset(node: Node, index: number | undefined): number {
    const [start, end] = node.range ?? [0, 0];
    if (index === undefined || !isScalar(node) || typeof node.value !== 'string') return start;
    const raw = this.#text.slice(start, end);
    if (raw === node.value) return start + index;
    const quoted = node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE';
    return quoted && raw.slice(1, -1) === node.value ? start + 1 + index : start;
  }
}

/** How a node reads in a message: `"text"`, `5`, `a list`, `nothing`. */
export function describe(node: Node | null): string {
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  const value: unknown = isScalar(node) ? node.value : null;
  if (typeof value === 'string') return quote(value);
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : 'nothing';
}
