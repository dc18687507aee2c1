/**
 * The kinds of secret the scrubber recognises, how a person reads each, and which wins when two
 * detectors claim the same text (the most specific: a GitHub token found inside
 * `GITHUB_TOKEN=…` is reported as a GitHub token, not as "a secret-looking value").
 */

/** What was found; also the word inside the `[REDACTED:kind]` marker. */
export type SecretKind =
  | 'private-key'
  | 'aws-access-key-id'
  | 'aws-secret-access-key'
  | 'github-token'
  | 'gitlab-token'
  | 'slack-token'
  | 'slack-webhook'
  | 'google-api-key'
  | 'stripe-key'
  | 'anthropic-api-key'
  | 'openai-api-key'
  | 'npm-token'
  | 'hugging-face-token'
  | 'sendgrid-api-key'
  | 'jwt'
  | 'url-password'
  | 'authorization-header'
  | 'secret-assignment';

interface KindInfo {
  /** "a GitHub token": how summaries name one of them. */
  readonly one: string;
  /** "GitHub tokens": how summaries name several. */
  readonly many: string;
  /** Higher wins when spans overlap. */
  readonly priority: number;
}

const KINDS: Readonly<Record<SecretKind, KindInfo>> = {
  'private-key': { one: 'a private key', many: 'private keys', priority: 100 },
  'aws-access-key-id': { one: 'an AWS access key id', many: 'AWS access key ids', priority: 90 },
  'github-token': { one: 'a GitHub token', many: 'GitHub tokens', priority: 90 },
  'gitlab-token': { one: 'a GitLab token', many: 'GitLab tokens', priority: 90 },
  'slack-token': { one: 'a Slack token', many: 'Slack tokens', priority: 90 },
  'google-api-key': { one: 'a Google API key', many: 'Google API keys', priority: 90 },
  'stripe-key': { one: 'a Stripe key', many: 'Stripe keys', priority: 90 },
  // Above openai: every `sk-ant-…` key also has the shape of an OpenAI `sk-…` key.
  'anthropic-api-key': { one: 'an Anthropic API key', many: 'Anthropic API keys', priority: 91 },
  'openai-api-key': { one: 'an OpenAI API key', many: 'OpenAI API keys', priority: 89 },
  'npm-token': { one: 'an npm token', many: 'npm tokens', priority: 90 },
  'hugging-face-token': { one: 'a Hugging Face token', many: 'Hugging Face tokens', priority: 90 },
  'sendgrid-api-key': { one: 'a SendGrid API key', many: 'SendGrid API keys', priority: 90 },
  jwt: { one: 'a JWT', many: 'JWTs', priority: 85 },
  'slack-webhook': { one: 'a Slack webhook URL', many: 'Slack webhook URLs', priority: 80 },
  'url-password': { one: 'a password in a URL', many: 'passwords in URLs', priority: 70 },
  'authorization-header': {
    one: 'an Authorization header credential',
    many: 'Authorization header credentials',
    priority: 60,
  },
  'aws-secret-access-key': {
    one: 'an AWS secret access key',
    many: 'AWS secret access keys',
    priority: 55,
  },
  'secret-assignment': {
    one: 'a secret-looking value',
    many: 'secret-looking values',
    priority: 50,
  },
};

/** How a summary names `count` secrets of this kind ("a JWT", "3 JWTs"). */
export function kindLabel(kind: SecretKind, count = 1): string {
  const info = KINDS[kind];
  return count === 1 ? info.one : `${String(count)} ${info.many}`;
}

/** Which of two kinds claiming overlapping text names the merged redaction. */
export function kindPriority(kind: SecretKind): number {
  return KINDS[kind].priority;
}

/** The text that takes a secret's place: `[REDACTED:github-token]`. */
export function redactionMarker(kind: SecretKind): string {
  return `[REDACTED:${kind}]`;
}

/** The start of every marker, so that scrubbing scrubbed text finds nothing new. */
export const MARKER_PREFIX = '[REDACTED:';

/** True for a kind this version knows (a bundle from a peer is checked with it). */
export function isSecretKind(value: unknown): value is SecretKind {
  return typeof value === 'string' && Object.hasOwn(KINDS, value);
}
