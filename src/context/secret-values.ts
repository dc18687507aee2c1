import { MARKER_PREFIX } from './secret-kinds.ts';
import { nameWords } from './secret-names.ts';

/**
 * Which values assigned to a secret-looking name are not secrets: nothing, a placeholder, a
 * reference to a secret kept elsewhere, or (outside .env lines) code. Only literal values are
 * redacted; `password: ${DB_PASSWORD}` and `const password = prompt()` tell the peer nothing.
 */

/**
 * Values that say "put the secret here" or name a mode, not a secret. `changeme` and its kin
 * are conventions for "not set yet" (and `changeit` is the JDK keystore's published default);
 * `include`/`same-origin`/`omit` are fetch's `credentials` modes; `basic`, `bearer`… are auth
 * schemes; `password`/`token`/`secret` as values are enum tags (`auth: 'password'`).
 */
const PLACEHOLDER_WORDS = new Set(
  (
    'changeme change_me change-me changeit replaceme replace_me replace-me todo tbd fixme ' +
    'placeholder example sample dummy private public redacted secret password pass token key ' +
    'none null nil undefined true false yes no on off inherit required optional include omit ' +
    'same-origin basic bearer digest oauth oauth2 ntlm negotiate strict lax read write'
  ).split(' '),
);

/** True for empty values, masks (`***`), `<your-token-here>`, `your_api_key`, `changeme`. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  // Exactly a marker: scrubbing scrubbed text finds nothing new (a marker inside a longer
  // value does not make the rest of it safe).
  if (v === '' || (v.startsWith(MARKER_PREFIX) && /^\[REDACTED:[a-z-]+\]$/.test(v))) return true;
  if (PLACEHOLDER_WORDS.has(v.toLowerCase())) return true;
  if (/^[xX*•….\s_-]+$/.test(v)) return true;
  if (/^<[^<>]*>$/.test(v) || /^\[[^\]]*\]$/.test(v)) return true;
  return /^(?:your|fake|dummy|example|sample|placeholder)[-_ .]/i.test(v) || /[-_ ]here$/i.test(v);
}

/** Longer values are literals: references are short, and checking a megabyte costs time. */
const MAX_REFERENCE = 4096;

// `$NAME`, `${…}`, `${{ … }}` (GitHub Actions), `$(…)`, `{{ … }}` (Helm, Jinja), `%NAME%`
// (cmd.exe), `#{…}` (Ruby), `{name}` (Python format strings), `@NAME@` (autoconf, CMake
// configure_file), `%s`/`%(name)s` (printf, Python). Bounded, no nested repetition.
const REFERENCE =
  /\$\{\{[^}]{0,256}\}\}|\$\{[^}]{0,256}\}|\$\([^)]{0,256}\)|\$[A-Za-z_][A-Za-z0-9_]{0,128}|\{\{[^}]{0,256}\}\}|%[A-Za-z_][A-Za-z0-9_]{0,128}%|#\{[^}]{0,256}\}|\{[A-Za-z_][A-Za-z0-9_.]{0,128}\}|@[A-Za-z_][A-Za-z0-9_]{0,128}@|%(?:\([A-Za-z_]{1,64}\))?[sdv]/g;

/**
 * True when the value is made of references to secrets kept elsewhere and punctuation:
 * `${DB_PASSWORD}`, `$TOKEN`, `${{ secrets.NPM_TOKEN }}`, `{{ .Values.password }}`,
 * `${USER}:${PASS}`, `env(DB_PASSWORD)`. A literal that merely starts with `$` and a word, such
 * as `$ecret1`, reads as a reference too: the price of not redacting `$HOME`-style values.
 */
export function isReference(value: string): boolean {
  const v = value.trim();
  if (v.length > MAX_REFERENCE) return false;
  if (/^(?:env|ENV|getenv)\([^)]{0,256}\)$/.test(v)) return true;
  const rest = v.replace(REFERENCE, '');
  return rest !== v && !/[A-Za-z0-9]/.test(rest);
}

/** Identifiers that are types or constants in TypeScript, Python, Go or Ruby, never secrets. */
const CODE_WORDS = new Set(
  (
    'string number boolean bigint symbol object unknown any never void undefined null true ' +
    'false None True False nil self this str int bytes Buffer'
  ).split(' '),
);

const SECRET_WORD = /TOKEN|PASSWORD|PASSWD|SECRET|KEY|AUTH|CREDENTIAL|PASS$|PWD|COOKIE|SESSION/;

/**
 * True when an unquoted value reads as code rather than a literal: a statement (`…;`), a
 * function or block (`=>`, `{`), a member access, call, index or generic (`options.token`,
 * `getpass()`, `os.environ["X"]`, `Array<Token>`), an expression or type joined by an operator
 * (`a ?? b`, `string | undefined`), a bare word ending in `,` (an object literal, a keyword
 * argument), a type or constant name, or a bare word without digits naming the same kind of
 * secret (`token: accessToken`). What is left (`hunter2`, `Xk9#m2(!`, `correct horse`) is a
 * literal. So is anything with a long random run: the dots of a JWT are not member accesses.
 * The price: an INI password shaped like `word.word` reads as code and stays.
 */
export function looksLikeCode(value: string): boolean {
  const trailing = /[,;]$/.test(value);
  const v = (trailing ? value.slice(0, -1) : value).trim();
  // Dots make a JWT look like a member chain; its long random runs say otherwise.
  if ((v.match(/[A-Za-z0-9_-]{24,}/g) ?? []).some(looksRandom)) return false;
  if (value.endsWith(';') || v.includes('=>') || v.endsWith('{') || /^(?:async|function)\b/.test(v))
    return true;
  const head = /^(?:await\s+|new\s+|typeof\s+|!)?([A-Za-z_$][\w$]*)/.exec(v);
  if (head === null) return false;
  const word = head[1] ?? '';
  const rest = v.slice(head[0].length);
  if (/^(?:\??\.[A-Za-z_$]|\(|\[|<)/.test(rest)) return true;
  if (/^\s*(?:\?\?|\|\||&&|\||&|===?|!==?|=>|\?\s)/.test(rest)) return true;
  if (rest !== '') return false;
  if (trailing || CODE_WORDS.has(word)) return true;
  return !/[0-9]/.test(word) && nameWords(word).some((part) => SECRET_WORD.test(part));
}

const FUNCTION_WORDS = new Set(
  (
    'the a an to of in on for with and or is are be it its this that from by at as not no see ' +
    'use before after when if then into your our my we you'
  ).split(' '),
);

/**
 * True for a sentence: three words or more, one of them an English function word, none of them
 * random. `auth: refresh the token before it expires` is a commit subject, not a credential; a
 * passphrase without "the", "to", "of"… still counts as a secret.
 */
export function isProse(value: string): boolean {
  const words = value.trim().split(/\s+/);
  if (words.length < 3) return false;
  if (words.some((word) => /[A-Za-z]/.test(word) && /[0-9]/.test(word) && word.length >= 8))
    return false;
  return words.some((word) => FUNCTION_WORDS.has(word.toLowerCase().replace(/[^a-z]/g, '')));
}

/** Mixed case and a digit: random key material, not a word or an identifier. */
function looksRandom(run: string): boolean {
  return /[a-z]/.test(run) && /[A-Z]/.test(run) && /[0-9]/.test(run);
}

/** Auth schemes (RFC 9110 §11.1; IANA HTTP Authentication Scheme Registry) before a credential. */
export const AUTH_SCHEME = /^(?:Bearer|Basic|Token|Bot|Negotiate|NTLM)\s+/i;
