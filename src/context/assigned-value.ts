import { holdsSecret, isAwsSecretKeyName, nameWords } from './secret-names.ts';
import {
  AUTH_SCHEME,
  isPlaceholder,
  isProse,
  isReference,
  looksLikeCode,
} from './secret-values.ts';
import type { Span } from './spans.ts';

/** How a value was written, which decides how much of the value rule applies. */
export interface ValueForm {
  /** A `.env`-style line (`FOO_KEY=…`): every _KEY name counts and code is not considered. */
  readonly envStyle?: boolean;
  /** Unquoted, so it may be code (`token: options.token`) or prose rather than a literal. */
  readonly unquoted?: boolean;
}

/**
 * The span to redact for `value`, found at `start` and assigned to `name`, or nothing when the
 * name does not hold a secret or the value is no literal secret. An auth scheme in front of the
 * value (`Bearer …`) stays visible.
 */
export function assignedValueSpan(
  name: string,
  value: string,
  start: number,
  form: ValueForm = {},
): Span | undefined {
  if (!holdsSecret(name, form.envStyle)) return undefined;
  const scheme = AUTH_SCHEME.exec(value);
  const secret = scheme === null ? value : value.slice(scheme[0].length);
  const from = start + (value.length - secret.length);
  if (isPlaceholder(secret) || isReference(secret)) return undefined;
  // Short numbers and lower-case words are only secrets when people choose them.
  if (/^(?:-?[0-9]{1,8}[,;]?|[a-z]{1,12})$/.test(secret) && !isChosenSecret(name)) return undefined;
  if (isLabel(name, secret)) return undefined;
  if (
    form.unquoted === true &&
    form.envStyle !== true &&
    (looksLikeCode(secret) || isProse(secret))
  )
    return undefined;
  const kind = isAwsSecretKeyName(name) ? 'aws-secret-access-key' : 'secret-assignment';
  return { start: from, end: from + secret.length, kind, name };
}

/**
 * Names of secrets people choose (passwords, passphrases, PINs, shared secrets), which can be
 * a short number or a word. Tokens, keys, private keys, credentials and cookies are generated,
 * long and mixed: under those
 * names a short number is a count or a code (`auth: 4` in an exit-code table, `Private = 2` in
 * an enum) and a lower-case word is a name or a mode (`SESSION_COOKIE = 'sid'`, `token: 'old'`).
 */
function isChosenSecret(name: string): boolean {
  return nameWords(name).some((word) => /PASS|PWD|SECRET|^PIN$/.test(word));
}

const MAX_LABEL = 1024;

/**
 * Values that name or describe the secret instead of being it: an enum member naming itself
 * (`PrivateIdentifier = "PrivateIdentifier"`), an identifier or message that contains the
 * secret's own word and a separator (`Password = "m.login.password"`, `RefreshTokenFailed =
 * "Failed to refresh token"`), a message template (`"{{name}} is private"`). A password that
 * contains the word "password" and a dot or space reads as a label too: weak, and accepted.
 */
function isLabel(name: string, value: string): boolean {
  // Labels and messages are short; a long value is data.
  if (value.length > MAX_LABEL) return false;
  const words = nameWords(name);
  const valueWords = nameWords(value);
  if (valueWords.join('_') === words.join('_')) return true;
  if (/\s/.test(value) && /\{\{[^}]{0,256}\}\}|\{[0-9]\}|%[sd]/.test(value)) return true;
  if (!/[\s.:/_]/.test(value)) return false;
  // A long run mixing letters and digits is key material, whatever words surround it.
  const runs = value.match(/[A-Za-z0-9+/=_-]{10,}/g) ?? [];
  if (runs.some((run) => /[A-Za-z]/.test(run) && /[0-9]/.test(run))) return false;
  const lower = value.toLowerCase();
  return words.some(
    (word) =>
      /PASS|PWD|SECRET|TOKEN|AUTH|KEY|PRIVATE|CREDENTIAL|COOKIE/.test(word) &&
      lower.includes(secretStem(word)),
  );
}

/** The secret word inside a name word, lower-case: ACCESSTOKEN → token, OAUTH → auth. */
function secretStem(word: string): string {
  const stem =
    /PASSWORD|PASSPHRASE|PASSWD|PASS|PWD|SECRET|TOKEN|AUTH|KEY|PRIVATE|CREDENTIAL|COOKIE/.exec(
      word,
    );
  return (stem?.[0] ?? word).toLowerCase();
}
