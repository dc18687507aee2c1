import type { SecretKind } from './secret-kinds.ts';
import type { Span } from './spans.ts';

/**
 * Vendor token formats: secrets that announce themselves with a fixed prefix, so they are found
 * wherever they sit (code, prose, a URL, a diff line), whatever they are assigned to.
 *
 * Every pattern starts with a look-behind that refuses a start inside a longer word and a literal
 * prefix, and every repetition is bounded: each start costs a bounded amount of work and starts
 * are rare, so a 1 MB line of `AKIA…` or `eyJeyJ…` is scanned in linear time.
 */
interface TokenFormat {
  readonly kind: SecretKind;
  /** Literal parts of the prefix: a line containing none of them is not scanned at all. */
  readonly hints: readonly string[];
  readonly pattern: RegExp;
  /** A further test of the match, for prefixes short enough to occur in ordinary words. */
  readonly accept?: (token: string) => boolean;
}

/** Random keys mix cases and digits; identifiers such as `sk-spinner-double-bounce` do not. */
function looksRandom(token: string): boolean {
  return /[a-z]/.test(token) && /[A-Z]/.test(token) && /[0-9]/.test(token);
}

const FORMATS: readonly TokenFormat[] = [
  // AWS IAM identifiers, "Unique ID prefixes": AKIA long-term access key, ASIA temporary (STS)
  // key, ABIA STS service bearer token, ACCA context-specific credential; 20 characters in all.
  {
    kind: 'aws-access-key-id',
    hints: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  // GitHub, "About authentication to GitHub" (GitHub's token formats): ghp_ personal, gho_ OAuth,
  // ghu_ user-to-server, ghs_ server-to-server, ghr_ refresh; 36 base62 characters today, and
  // GitHub reserves the right to lengthen them, hence no upper length check beyond a bound.
  {
    kind: 'github-token',
    hints: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    pattern: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,255}/g,
  },
  // Fine-grained personal access tokens: github_pat_ + 22 characters + _ + 59 characters.
  {
    kind: 'github-token',
    hints: ['github_pat_'],
    pattern: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,255}/g,
  },
  // GitLab, "Token overview" (token prefixes): personal access tokens start glpat-.
  {
    kind: 'gitlab-token',
    hints: ['glpat-'],
    pattern: /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,255}/g,
  },
  // Slack API, "Token types": xoxb- bot, xoxp- user, xoxa- workspace, xoxr- refresh, xoxs-
  // legacy, xoxe(.xoxp)- configuration and rotating tokens, xapp- app-level.
  {
    kind: 'slack-token',
    hints: ['xox', 'xapp-'],
    pattern: /(?<![A-Za-z0-9_-])(?:xox[abeoprs](?:\.xox[bp])?|xapp)-[A-Za-z0-9-]{10,1024}/g,
    accept: (token) => /[0-9]/.test(token),
  },
  // Google Cloud, "Manage API keys": AIza followed by 35 URL-safe characters.
  {
    kind: 'google-api-key',
    hints: ['AIza'],
    pattern: /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g,
  },
  // Stripe, "API keys": secret sk_live_/sk_test_, restricted rk_live_/rk_test_; and webhook
  // signing secrets whsec_. Test-mode keys still read and write the account's test data.
  // Publishable keys (pk_) are meant to be public and are left alone.
  {
    kind: 'stripe-key',
    hints: ['_live_', '_test_', 'whsec_'],
    pattern: /(?<![A-Za-z0-9_])(?:(?:sk|rk)_(?:live|test)|whsec)_[A-Za-z0-9]{16,1024}/g,
    accept: (token) => /[0-9]/.test(token),
  },
  // Anthropic API, "Authentication": keys start sk-ant- (sk-ant-api03-, sk-ant-admin01-, …).
  {
    kind: 'anthropic-api-key',
    hints: ['sk-ant-'],
    pattern: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,1024}/g,
  },
  // OpenAI API reference, "Authentication": sk-, sk-proj-, sk-svcacct-, sk-admin- keys. The
  // prefix is short, so the rest must look random (mixed case and a digit).
  {
    kind: 'openai-api-key',
    hints: ['sk-'],
    pattern: /(?<![A-Za-z0-9_-])sk-(?!ant-)[A-Za-z0-9_-]{20,1024}/g,
    accept: (token) => looksRandom(token.slice(3)),
  },
  // npm Docs, "About access tokens" (GitHub-style format since 2021): npm_ + 36 base62.
  {
    kind: 'npm-token',
    hints: ['npm_'],
    pattern: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g,
  },
  // Hugging Face, "User access tokens": hf_ + 34 letters and digits.
  {
    kind: 'hugging-face-token',
    hints: ['hf_'],
    pattern: /(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,40}(?![A-Za-z0-9])/g,
    accept: (token) => /[a-z]/.test(token) && /[A-Z]/.test(token),
  },
  // Twilio SendGrid, "API keys": SG. + 22 characters + . + 43 characters.
  {
    kind: 'sendgrid-api-key',
    hints: ['SG.'],
    pattern: /(?<![A-Za-z0-9_-])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g,
  },
  // RFC 7515 §7.1 / RFC 7516 §7.1 compact serialisation: three (JWS) or five (JWE) base64url
  // parts. A header is a JSON object, so it starts `{"` = `eyJ`; it must also name its "alg".
  {
    kind: 'jwt',
    hints: ['eyJ'],
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,8192}(?:\.[A-Za-z0-9_-]{0,65536}){2,4}/g,
    accept: hasJoseHeader,
  },
];

/** The JWS/JWE header (RFC 7515 §4) decodes to a JSON object with a string "alg". */
function hasJoseHeader(token: string): boolean {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { alg?: unknown }).alg === 'string'
    );
  } catch {
    return false;
  }
}

/** Every vendor token and JWT in `line`. */
export function findTokens(line: string): Span[] {
  const spans: Span[] = [];
  for (const format of FORMATS) {
    if (!format.hints.some((hint) => line.includes(hint))) continue;
    for (const match of line.matchAll(format.pattern)) {
      if (format.accept !== undefined && !format.accept(match[0])) continue;
      spans.push({ start: match.index, end: match.index + match[0].length, kind: format.kind });
    }
  }
  return spans;
}
