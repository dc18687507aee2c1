/**
 * The scrubber `share-context` runs over everything before it leaves the machine: file
 * contents, diffs and notes (`scrubText`), the environment snapshot (`scrubEnvironment`), and
 * the lines that tell the user what was held back (`summarize`). Pure: no I/O, no network.
 *
 * What is detected, and by which rule, is written next to each detector:
 * - private-keys.ts: PEM private key blocks, over several lines, inside diffs too;
 * - token-formats.ts: vendor tokens with fixed prefixes (AWS, GitHub, GitLab, Slack, Google,
 *   Stripe, Anthropic, OpenAI, npm, Hugging Face, SendGrid) and JWTs;
 * - credential-urls.ts: passwords in URLs, Slack webhook URLs, Authorization headers;
 * - assignments.ts, assignment-forms.ts: values assigned to secret-looking names
 *   (secret-names.ts), when they are literals (secret-values.ts);
 * - environment.ts: the allowlist and what it withholds;
 * - binary.ts: content that is not text, which the caller must not scrub as text.
 */

export type { SecretKind } from './secret-kinds.ts';
export type { NameRule } from './secret-names.ts';
export { scrubText, type Redaction, type ScrubbedText } from './scrub-text.ts';
export { scrubEnvironment, type EnvironmentSnapshot, type Withheld } from './environment.ts';
export { summarize } from './summary.ts';
export { looksBinary } from './binary.ts';
