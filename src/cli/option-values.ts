/**
 * Typed reads of commander's option values (`Record<string, any>`), instead of casting them.
 * A wrong type here is our bug (a mismatch with the command definition), not the user's.
 */
import type { OptionValues } from 'commander';
import { InternalError, UsageError } from '../errors.ts';

/** A string option, or undefined when not given. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value: unknown = values[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new InternalError(`option ${name} is a ${typeof value}, expected a string`);
}

/** A boolean flag: true only when given. */
export function flagOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** A repeatable string option (collected into an array by the command definition). */
export function listOption(values: OptionValues, name: string): string[] {
  const value: unknown = values[name];
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw new InternalError(`option ${name} is not a list of strings`);
}

/** Collects a repeatable option: `--workspace a --workspace b`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** An interval from an environment variable: whole milliseconds ≥ 100, else `fallback`. */
export function millisecondsSetting(
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined || value === '') return fallback;
  const ms = Number(value);
  if (!Number.isSafeInteger(ms) || ms < 100)
    throw new UsageError(
      `expected ${name} to be a whole number of milliseconds ≥ 100, got "${value}"`,
    );
  return ms;
}
