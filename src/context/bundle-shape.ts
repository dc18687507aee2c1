import { quote, RemoteFailureError } from '../errors.ts';
import { BUNDLE_ID, BUNDLE_VERSION, type ContextBundle } from './bundle.ts';
import { isSecretKind } from './secret-kinds.ts';
import { sharedPathProblem } from './shared-paths.ts';

/**
 * The shape rules of a version 1 bundle, checked on everything that arrives before any of it is
 * used. Each error names the field (`bundle.files[2].sha256`), what was expected and what came.
 * Fields this version does not know are kept and ignored: a newer peer may add optional ones.
 */

type Fields = Readonly<Record<string, unknown>>;

/** How an error message shows a value that arrived: strings quoted, others by their type. */
function shown(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** The error for field `at`. */
function malformed(at: string, expected: string, value: unknown): RemoteFailureError {
  return new RemoteFailureError(
    `context bundle is malformed: ${at}: expected ${expected}, got ${shown(value)}`,
  );
}

function object(value: unknown, at: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformed(at, 'an object', value);
  return value as Fields;
}

function array(value: unknown, at: string): readonly unknown[] {
  if (!Array.isArray(value)) throw malformed(at, 'an array', value);
  return value;
}

function text(value: unknown, at: string, pattern?: RegExp, expected = 'a string'): string {
  if (typeof value !== 'string' || (pattern !== undefined && !pattern.test(value)))
    throw malformed(at, expected, value);
  return value;
}

function count(value: unknown, at: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw malformed(at, `an integer of at least ${String(min)}`, value);
  return value;
}

function oneOf(value: unknown, at: string, allowed: readonly unknown[]): void {
  if (!allowed.includes(value))
    throw malformed(at, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
}

/** Checks `fields[key]` with `check` when it is present. */
function optional(
  fields: Fields,
  key: string,
  at: string,
  check: (v: unknown, at: string) => void,
) {
  if (fields[key] !== undefined) check(fields[key], `${at}.${key}`);
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const SHA256 = /^[0-9a-f]{64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ENCODINGS = ['utf8', 'base64'];

/** Encoded content: a string, and valid base64 when it says so. */
function content(encoding: unknown, data: unknown, at: string): void {
  if (encoding === 'base64') text(data, at, BASE64, 'base64 text');
  else text(data, at);
}

function git(value: unknown, at: string): void {
  const g = object(value, at);
  optional(g, 'remote', at, text);
  optional(g, 'branch', at, text);
  text(g.head, `${at}.head`, SHA, 'a commit id (40 or 64 lowercase hex characters)');
  text(g.base, `${at}.base`, SHA, 'a commit id (40 or 64 lowercase hex characters)');
  text(g.baseRef, `${at}.baseRef`);
  text(g.status, `${at}.status`);
  const diff = object(g.diff, `${at}.diff`);
  oneOf(diff.encoding, `${at}.diff.encoding`, ENCODINGS);
  content(diff.encoding, diff.data, `${at}.diff.data`);
  count(diff.bytes, `${at}.diff.bytes`);
  const stat = object(g.stat, `${at}.stat`);
  for (const key of ['files', 'insertions', 'deletions']) count(stat[key], `${at}.stat.${key}`);
}

function file(value: unknown, at: string, seen: Set<string>): void {
  const f = object(value, at);
  const path = text(f.path, `${at}.path`);
  const problem = sharedPathProblem(path);
  if (problem !== undefined)
    throw new RemoteFailureError(`context bundle is malformed: ${at}.path: ${problem}`);
  if (seen.has(path)) throw malformed(`${at}.path`, 'each path once', path);
  seen.add(path);
  oneOf(f.mode, `${at}.mode`, [0o644, 0o755]);
  count(f.size, `${at}.size`);
  text(f.sha256, `${at}.sha256`, SHA256, '64 lowercase hex characters');
  oneOf(f.encoding, `${at}.encoding`, ENCODINGS);
  content(f.encoding, f.content, `${at}.content`);
}

function env(value: unknown, at: string): void {
  const e = object(value, at);
  const vars = object(e.vars, `${at}.vars`);
  for (const [name, v] of Object.entries(vars)) text(v, `${at}.vars.${name}`);
  const system = object(e.system, `${at}.system`);
  for (const key of ['os', 'arch', 'node']) text(system[key], `${at}.system.${key}`);
  optional(system, 'shell', `${at}.system`, text);
}

function kind(value: unknown, at: string): void {
  if (!isSecretKind(value)) throw malformed(at, 'a kind of secret this version knows', value);
}

function withheldEntry(value: unknown, at: string): void {
  const w = object(value, at);
  oneOf(w.type, `${at}.type`, ['withheld', 'redacted', 'withheld-file', 'stripped-credentials']);
  switch (w.type) {
    case 'withheld': {
      oneOf(w.source, `${at}.source`, ['env']);
      text(w.name, `${at}.name`);
      oneOf(w.reason, `${at}.reason`, ['secret-name', 'secret-value']);
      if (w.reason === 'secret-value') kind(w.kind, `${at}.kind`);
      else {
        const rule = object(w.rule, `${at}.rule`);
        oneOf(rule.rule, `${at}.rule.rule`, ['word', 'provider']);
        const field = rule.rule === 'word' ? 'word' : 'prefix';
        text(rule[field], `${at}.rule.${field}`);
      }
      return;
    }
    case 'redacted':
      oneOf(w.source, `${at}.source`, ['file', 'diff', 'notes', 'git']);
      text(w.path, `${at}.path`);
      kind(w.kind, `${at}.kind`);
      count(w.line, `${at}.line`, 1);
      count(w.column, `${at}.column`, 1);
      optional(w, 'endLine', at, (v, a) => count(v, a, 1));
      optional(w, 'name', at, text);
      optional(w, 'header', at, (v, a) => {
        oneOf(v, a, [true]);
      });
      return;
    case 'withheld-file':
      oneOf(w.source, `${at}.source`, ['file', 'diff']);
      text(w.path, `${at}.path`);
      oneOf(w.reason, `${at}.reason`, ['key-material', 'secret-in-binary', 'secret-in-name']);
      optional(w, 'kind', at, kind);
      return;
    default:
      oneOf(w.source, `${at}.source`, ['git']);
  }
}

/**
 * `value` (parsed JSON) as a bundle, once every field has been checked; a RemoteFailureError
 * naming the first field that breaks the rules otherwise.
 */
export function checkBundleShape(value: unknown): ContextBundle {
  const b = object(value, 'bundle');
  if (b.v !== BUNDLE_VERSION)
    throw malformed(
      'bundle.v',
      `${String(BUNDLE_VERSION)} (a newer mx-agent may have made it: update to read it)`,
      b.v,
    );
  text(b.id, 'bundle.id', BUNDLE_ID, 'an id like "ctx-abcdefgh2345"');
  optional(b, 'title', 'bundle', text);
  count(b.created, 'bundle.created');
  optional(b, 'git', 'bundle', git);
  const seen = new Set<string>();
  array(b.files, 'bundle.files').forEach((f, i) => {
    file(f, `bundle.files[${String(i)}]`, seen);
  });
  optional(b, 'env', 'bundle', env);
  optional(b, 'notes', 'bundle', text);
  array(b.withheld, 'bundle.withheld').forEach((w, i) => {
    withheldEntry(w, `bundle.withheld[${String(i)}]`);
  });
  // Every field the type promises has been checked above.
  return value as ContextBundle;
}
