/**
 * Canonical JSON: the one byte form of a JSON value that signatures and hash chains cover
 * (specs/protocol.md, "Canonical JSON"). It is RFC 8785 (JCS) restricted to integers, so no
 * number formatting is left to chance: object keys sorted by UTF-16 code units, no whitespace,
 * strings as JSON.stringify writes them, arrays in order. Anything that is not plain JSON is
 * refused with the JSON path of the offending value, never silently dropped or converted.
 */
import { UsageError } from '../errors.ts';

/** How deep values may nest; far beyond any real payload, well within the call stack. */
export const MAX_DEPTH = 64;

const encoder = new TextEncoder();

/** The canonical JSON text of `value`; throws a UsageError naming the path of a non-JSON part. */
export function canonicalJson(value: unknown): string {
  return write(value, '', new Set(), 0);
}

/** The UTF-8 bytes of `canonicalJson(value)`: what is signed and hashed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}

function write(value: unknown, path: string, open: Set<object>, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw refuse(path, 'an integer', describeNumber(value));
      return String(value); // -0 writes as 0, as JSON.stringify and RFC 8785 do
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH)
        throw refuse(path, `at most ${MAX_DEPTH} levels of nesting`, 'deeper nesting');
      if (open.has(value)) throw refuse(path, 'a tree', 'a reference to an enclosing value');
      open.add(value);
      try {
        return Array.isArray(value)
          ? writeArray(value, path, open, depth)
          : writeObject(value, path, open, depth);
      } finally {
        open.delete(value);
      }
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      throw refuse(path, 'a JSON value', typeof value === 'bigint' ? 'a bigint' : typeof value);
  }
}

function writeArray(items: unknown[], path: string, open: Set<object>, depth: number): string {
  const parts: string[] = [];
  // Index loop, not map: map skips the holes of a sparse array, which JSON cannot express.
  for (let index = 0; index < items.length; index += 1)
    parts.push(write(items[index], `${path}[${index}]`, open, depth + 1));
  return `[${parts.join(',')}]`;
}

function writeObject(object: object, path: string, open: Set<object>, depth: number): string {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null)
    throw refuse(path, 'a plain object', describeInstance(object));
  if (Object.getOwnPropertySymbols(object).length > 0)
    throw refuse(path, 'string keys only', 'a symbol key');
  const record = object as Record<string, unknown>;
  // The default sort compares UTF-16 code units, which is the order RFC 8785 §3.2.3 asks for.
  const keys = Object.keys(record).sort();
  const parts = keys.map(
    (key) => `${JSON.stringify(key)}:${write(record[key], join(path, key), open, depth + 1)}`,
  );
  return `{${parts.join(',')}}`;
}

/** `body.limits.cpu`, or `body["odd key"]` for keys that are not identifiers. */
function join(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

function refuse(path: string, expected: string, got: string): UsageError {
  return new UsageError(`${path === '' ? 'value' : path}: expected ${expected}, got ${got}`);
}

function describeNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return Number.isInteger(value) ? `${String(value)}, beyond ±2^53-1` : String(value);
}

function describeInstance(object: object): string {
  const name: unknown = (object as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'a class instance';
}
