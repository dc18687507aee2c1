import type { Span } from './spans.ts';
import { isPlaceholder, isReference } from './secret-values.ts';

/**
 * Credentials carried by URLs and HTTP headers. The URL or header stays readable; only the
 * secret part goes: `postgres://app:[REDACTED:url-password]@db:5432/app`,
 * `https://hooks.slack.com/services/[REDACTED:slack-webhook]`,
 * `Authorization: Bearer [REDACTED:authorization-header]`.
 */

// RFC 3986 §3.1 scheme, §3.2.1 userinfo `user:password@` (deprecated by the RFC, still used by
// every database driver). The password stops at the first `@`, so a password with a raw `@`
// (which RFC 3986 requires to be percent-encoded) leaves its tail after that `@` visible;
// `[` and `]` (gen-delims, never in userinfo) keep a redaction marker out of a userinfo.
const URL_PASSWORD =
  /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/[^\s:/?#@[\]'"`<>\\]{0,256}:([^\s/?#@[\]'"`<>\\]{1,1024})@/dg;

// Slack API, "Sending messages using incoming webhooks": the path after /services/ is the
// secret (whoever holds the URL can post). Workflow and trigger URLs work the same way.
const SLACK_WEBHOOK =
  /https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9_/-]{8,512})/dg;

// RFC 9110 §11.6.2 Authorization (and §11.7.2 Proxy-Authorization): `scheme credentials`.
// Found anywhere: an HTTP dump, curl's `-H "Authorization: Bearer …"`, a JSON headers object.
// A credential is never followed by `:`, so the next header's name is not taken for one.
const AUTHORIZATION =
  /(?<![A-Za-z0-9_-])(?:Proxy-)?Authorization["']?[ \t]{0,8}[:=][ \t]{0,8}["']?((?:Bearer|Basic|Token|Bot|Negotiate|NTLM)[ \t]{1,8})?([A-Za-z0-9._~+/=-]{8,16384})(?![A-Za-z0-9._~+/=:-])/dgi;

/** The capture group `group` of `match` as a span, or nothing when the group did not take part. */
function groupSpan(match: RegExpExecArray, group: number): [number, number] | undefined {
  const at = match.indices?.[group];
  return at === undefined ? undefined : [at[0], at[1]];
}

/** Passwords in URLs (`scheme://user:password@host`), kept user and host. */
function findUrlPasswords(line: string): Span[] {
  const spans: Span[] = [];
  for (const match of line.matchAll(URL_PASSWORD)) {
    const at = groupSpan(match, 1);
    const password = match[1] ?? '';
    if (at === undefined || isPlaceholder(password) || isReference(password)) continue;
    spans.push({ start: at[0], end: at[1], kind: 'url-password' });
  }
  return spans;
}

/** Slack incoming-webhook URLs, kept up to the kind of hook. */
function findSlackWebhooks(line: string): Span[] {
  const spans: Span[] = [];
  for (const match of line.matchAll(SLACK_WEBHOOK)) {
    const at = groupSpan(match, 1);
    if (at !== undefined) spans.push({ start: at[0], end: at[1], kind: 'slack-webhook' });
  }
  return spans;
}

/**
 * Authorization header credentials, kept the scheme. Without a scheme the value must contain a
 * digit and not read as a member access: `Authorization: authHeader` in code is not a secret.
 */
function findAuthorizationHeaders(line: string): Span[] {
  const spans: Span[] = [];
  for (const match of line.matchAll(AUTHORIZATION)) {
    const at = groupSpan(match, 2);
    const credential = match[2] ?? '';
    const hasScheme = match[1] !== undefined;
    if (at === undefined || isPlaceholder(credential)) continue;
    if (
      !hasScheme &&
      (!/[0-9]/.test(credential) || /^[A-Za-z_$][\w$]*(?:\.[\w$]+)*$/.test(credential))
    )
      continue;
    spans.push({ start: at[0], end: at[1], kind: 'authorization-header' });
  }
  return spans;
}

/** Every URL password, Slack webhook path and Authorization credential in `line`. */
export function findCredentialUrls(line: string): Span[] {
  const spans: Span[] = [];
  if (line.includes('://')) spans.push(...findUrlPasswords(line), ...findSlackWebhooks(line));
  if (/uthorization/i.test(line)) spans.push(...findAuthorizationHeaders(line));
  return spans;
}
