/**
 * Reading a tool call's input. The model writes it, so it may be anything: a wrong value is
 * answered as an error result naming what was expected and what came, never thrown.
 */
import { quote } from '../../errors.ts';
import type { JsonObject } from '../../transport/transport.ts';
import type { SkillResult } from './types.ts';

/** The string at `key`, or an error result when it is missing or not a string. */
export function requiredString(
  skill: string,
  input: JsonObject,
  key: string,
): string | SkillResult {
  const value = input[key];
  return typeof value === 'string' ? value : wrongType(skill, key, value);
}

/** The string at `key`, undefined when absent, or an error result when it is not a string. */
export function optionalString(
  skill: string,
  input: JsonObject,
  key: string,
): string | undefined | SkillResult {
  const value = input[key];
  return value === undefined || value === null || typeof value === 'string'
    ? (value ?? undefined)
    : wrongType(skill, key, value);
}

/** An error result for the model. */
export function failure(content: string): SkillResult {
  return { content, isError: true };
}

function wrongType(skill: string, key: string, value: unknown): SkillResult {
  const got = value === undefined ? 'nothing' : quote(JSON.stringify(value));
  return failure(`${skill}: expected "${key}" to be a string, got ${got}`);
}
