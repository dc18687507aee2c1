/**
 * Reading one value of `policy.toml`: durations, sizes, counts, switches, lists. A wrong value
 * becomes a ConfigError naming `file:line:column`, the key, what was expected and what arrived.
 */
import { TomlDate } from 'smol-toml';
import { ConfigError, quote } from '../errors.ts';
import type { KeyPositions } from './policy-source.ts';

/** Where values come from, so errors can point at them. */
export interface ValueSource {
  readonly file: string;
  readonly positions: KeyPositions;
}

/** `file:line:column: key: expected …, got …`, pointing at the closest key that is written. */
export function valueError(
  source: ValueSource,
  key: string,
  expected: string,
  got: unknown,
): ConfigError {
  return new ConfigError(
    `${where(source, key)}: ${key}: expected ${expected}, got ${describe(got)}`,
  );
}

/** `file:line:column` of `key` or of the nearest enclosing key that has a position. */
export function where(source: ValueSource, key: string): string {
  for (let path = key; path !== ''; path = parentKey(path)) {
    const at = source.positions.get(path);
    if (at !== undefined) return `${source.file}:${String(at.line)}:${String(at.column)}`;
  }
  return source.file;
}

function parentKey(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut <= 0 ? '' : path.slice(0, cut);
}

/** What a parsed value is, for "got …". */
export function describe(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (value instanceof TomlDate) return `a date (${value.toISOString()})`;
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value === undefined) return 'nothing';
  return 'a table';
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION = /^(?:\d+(?:ms|s|m|h))+$/;
/** The longest timer Node can set (about 24.8 days); longer ones would fire at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** `"90s"`, `"5m"`, `"1h30m"`, `"500ms"` → milliseconds; undefined if not a positive duration. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g)) {
    total += Number(amount) * (DURATION_UNITS[unit ?? ''] ?? 0);
  }
  return total > 0 && total <= MAX_DURATION_MS ? total : undefined;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  B: 1,
  KB: 1000,
  KiB: 1024,
  MB: 1000 ** 2,
  MiB: 1024 ** 2,
  GB: 1000 ** 3,
  GiB: 1024 ** 3,
};
const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/;

/** `"10MiB"`, `"512KB"`, `"1.5GiB"`, `"4096"` → bytes; undefined if not a positive size. */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (match === null) return undefined;
  const bytes = Math.floor(Number(match[1]) * (SIZE_UNITS[match[2] ?? ''] ?? 0));
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Milliseconds as the policy would write them: `5m`, `1h30m`, `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${String(ms)}ms`;
  let rest = ms / 1000;
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${String(Math.floor(rest / size))}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

/** Bytes in the largest binary unit that divides them: `10 MiB`, `1500 B`. */
export function formatSize(bytes: number): string {
  for (const unit of ['GiB', 'MiB', 'KiB'] as const) {
    const size = SIZE_UNITS[unit] ?? 1;
    if (bytes >= size && bytes % size === 0) return `${String(bytes / size)} ${unit}`;
  }
  return `${String(bytes)} B`;
}

/** A duration key (`timeout`) in milliseconds, or a valueError. */
export function readDuration(source: ValueSource, key: string, value: unknown): number {
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined) throw valueError(source, key, 'a duration like "5m" or "30s"', value);
  return ms;
}

/** A size key (`max_output`) in bytes: a string with a unit, or a whole number of bytes. */
export function readSize(source: ValueSource, key: string, value: unknown): number {
  const bytes =
    typeof value === 'string'
      ? parseSize(value)
      : typeof value === 'number' && Number.isSafeInteger(value) && value > 0
        ? value
        : undefined;
  if (bytes === undefined) throw valueError(source, key, 'a size like "10MiB" or "512KB"', value);
  return bytes;
}

/** A count key (`max_concurrent`): a whole number of at least 1. */
export function readCount(source: ValueSource, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw valueError(source, key, 'a whole number of at least 1', value);
  }
  return value;
}

/** A boolean key. */
export function readSwitch(source: ValueSource, key: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw valueError(source, key, 'true or false', value);
  return value;
}

/**
 * A string or a non-empty list of strings (a single string is a list of one); an item that
 * `check` rejects is an error expecting `expected`.
 */
export function readStrings(
  source: ValueSource,
  key: string,
  value: unknown,
  expected: string,
  check: (item: string) => boolean = () => true,
): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw valueError(source, key, `${expected}, or a non-empty list of them`, value);
  }
  return list.map((item: unknown, i) => {
    const itemKey = typeof value === 'string' ? key : `${key}[${String(i)}]`;
    if (typeof item !== 'string' || !check(item)) throw valueError(source, itemKey, expected, item);
    return item;
  });
}
