/** Assertions shared by the scrubber tests. */
import assert from 'node:assert/strict';
import { scrubText, type Redaction, type ScrubbedText } from '../../../src/context/scrub.ts';

/**
 * Asserts that no secret appears anywhere in `result` — its text or its records — and that the
 * line count did not change. The message names only a secret's first four characters.
 */
export function assertNoLeak(
  input: string,
  result: ScrubbedText,
  secrets: readonly string[],
): void {
  const everything = JSON.stringify(result);
  for (const secret of secrets)
    assert.ok(!everything.includes(secret), `a secret starting ${secret.slice(0, 4)}… leaked`);
  assert.equal(result.text.split('\n').length, input.split('\n').length, 'line count changed');
}

/** Scrubs `input`, asserts no `secrets` leaked, and returns the result. */
export function scrubbed(input: string, ...secrets: string[]): ScrubbedText {
  const result = scrubText(input);
  assertNoLeak(input, result, secrets);
  return result;
}

/** The redactions as compact `kind@line` strings (with `:name` when named), for deepEqual. */
export function found(result: ScrubbedText): string[] {
  return result.redactions.map(
    (r: Redaction) => `${r.kind}@${String(r.line)}${r.name === undefined ? '' : `:${r.name}`}`,
  );
}

/** Asserts that `input` comes back byte-identical with nothing redacted. */
export function assertUntouched(input: string): void {
  const result = scrubText(input);
  assert.deepEqual(result.redactions, [], `redacted something in ${JSON.stringify(input)}`);
  assert.equal(result.text, input);
}
