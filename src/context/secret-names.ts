/**
 * Names that look like they hold a secret: environment variables, config keys, headers, flags.
 *
 * Two strengths. The environment uses the plain rule ({@link secretNameRule}): a false positive
 * there costs one "withheld" line the user can read, and a variable is a live credential. Text
 * uses a narrower rule ({@link holdsSecret}): a false positive there mangles a config or a diff
 * the peer needs to read, and names that describe a secret without holding it are everywhere
 * (`TOKEN_URL`, `PASSWORD_FILE`, `max_tokens`, `cacheKey`, `showPassword`).
 */

/** Why the environment snapshot withholds a variable by its name alone. */
export type NameRule =
  | { readonly rule: 'word'; readonly word: string }
  | { readonly rule: 'provider'; readonly prefix: string };

/** Name parts, upper-case: `apiKey` → API KEY, `x-api-key` → X API KEY. */
export function nameWords(name: string): string[] {
  // An acronym (digits kept with it: AES256), a capitalised or lower-case word, or digits.
  // Each alternative backtracks at most one letter, so a megabyte of capitals stays linear.
  const words = name.match(/[A-Z]+[0-9]*(?![a-z])|[A-Z]?[a-z]+[0-9]*|[0-9]+/g) ?? [];
  return words.map((word) => word.toUpperCase());
}

// Substrings that mark a secret wherever they appear: SECRET in CLIENT_SECRET and in SECRETKEY.
const SECRET_PARTS = [
  'SECRET',
  'PASSWORD',
  'PASSWD',
  'PASSPHRASE',
  'PASSCODE',
  'CREDENTIAL',
  'PRIVATE',
];
// AUTH, but not AUTHOR (GIT_AUTHOR_NAME) or AUTHORITY; AUTHORIZATION does count.
const AUTH = /AUTH(?!OR(?!IZ))/;

/**
 * Vendor prefixes withheld whole. Their SDKs read credentials from several variables whose names
 * do not look secret, so a word rule would let them through:
 * - AWS_: AWS_ACCESS_KEY_ID (ends in _ID), AWS_CONTAINER_CREDENTIALS_FULL_URI, and role ARNs that
 *   name the account (AWS CLI, "Environment variables to configure the AWS CLI").
 * - AZURE_: azure-identity's EnvironmentCredential reads AZURE_CLIENT_ID + AZURE_TENANT_ID +
 *   AZURE_CLIENT_CERTIFICATE_PATH; AZURE_STORAGE_CONNECTION_STRING carries an AccountKey.
 * - GCP_: CI conventions such as GCP_SA_KEY hold a whole service-account key file
 *   (GOOGLE_APPLICATION_CREDENTIALS is caught by CREDENTIAL).
 * - OPENAI_, ANTHROPIC_: API keys, organisation and project ids, and proxy URLs with keys in them.
 * - SLACK_: SLACK_WEBHOOK_URL is itself the secret (whoever has it can post).
 * - STRIPE_: keys often live in names like STRIPE_SK or STRIPE_LIVE.
 * - TWILIO_: TWILIO_ACCOUNT_SID + TWILIO_API_KEY pair with a secret to make a credential.
 * GITHUB_TOKEN, GH_TOKEN, NPM_TOKEN and HF_TOKEN need no prefix: TOKEN catches them.
 */
const PROVIDER_PREFIXES = [
  'AWS_',
  'AZURE_',
  'GCP_',
  'OPENAI_',
  'ANTHROPIC_',
  'SLACK_',
  'STRIPE_',
  'TWILIO_',
];

/**
 * The plain rule, for environment variables (case-insensitive): the name contains TOKEN, SECRET,
 * PASSWORD, PASSWD, PASSPHRASE, PASSCODE, CREDENTIAL, PRIVATE, API_KEY/APIKEY, AUTH (not
 * AUTHOR), COOKIE, SESSION or WEBHOOK (an incoming-webhook URL is a bearer capability); has a
 * word PASS or PWD (not the shell's own PWD/OLDPWD); ends in _KEY; or starts with a provider
 * prefix.
 */
export function secretNameRule(name: string): NameRule | undefined {
  const words = nameWords(name);
  const joined = words.join('_');
  const compact = words.join('');
  for (const part of [...SECRET_PARTS, 'TOKEN', 'COOKIE', 'SESSION', 'WEBHOOK'])
    if (joined.includes(part)) return { rule: 'word', word: part };
  if (compact.includes('APIKEY')) return { rule: 'word', word: 'API_KEY' };
  if (AUTH.test(joined)) return { rule: 'word', word: 'AUTH' };
  if (words.includes('PASS')) return { rule: 'word', word: 'PASS' };
  if (words.includes('PWD') && joined !== 'PWD' && joined !== 'OLDPWD')
    return { rule: 'word', word: 'PWD' };
  if (joined.endsWith('_KEY')) return { rule: 'word', word: '_KEY' };
  const upper = name.toUpperCase();
  const prefix = PROVIDER_PREFIXES.find((p) => upper.startsWith(p));
  return prefix === undefined ? undefined : { rule: 'provider', prefix };
}

/**
 * Words after the secret word that make the name describe a secret instead of holding it:
 * where it is (URL, FILE, PATH, ENV), what it is (TYPE, NAME, FORMAT), how long it lives
 * (TTL, EXPIRES, AT), how a UI shows it (LABEL, PROMPT), or what handles it (STORE, PROVIDER).
 */
const DESCRIBES = new Set(
  (
    'URL URI ENDPOINT HOST PORT PATH FILE FILENAME DIR DIRECTORY ENV VAR VARIABLE NAME TYPE KIND ' +
    'FORMAT PATTERN REGEX PREFIX SUFFIX HEADER FIELD PARAM PARAMETER LENGTH LEN SIZE ' +
    'COUNT LIMIT MIN MAX TTL TIMEOUT EXPIRY EXPIRES EXPIRATION LIFETIME AGE AT DATE TIME ' +
    'TIMESTAMP LABEL PROMPT PLACEHOLDER HINT MESSAGE ERROR STORE STORAGE PROVIDER MANAGER ' +
    'SERVICE HANDLER METHOD MODE STRATEGY POLICY SCOPE SCOPES ENABLED REQUIRED VALID ALGORITHM ' +
    'ALG ENCODING VERSION LOCATION ARN REF SOURCE PROCESS COMMAND CMD HELPER OPTIONS CONFIG ' +
    'SETTINGS DOMAIN LEVEL STRENGTH RULES INPUT FORM VISIBLE HIDDEN SCHEME ROTATION STDIN ' +
    'REQUEST RESPONSE EVENT STATUS CHAR CHARS NUMBER IDENTIFIER FAILED CACHED SEND SENT ' +
    'CHANGED UPDATED CREATED DELETED MISSING INVALID EXPIRED REVOKED RECEIVED REQUESTED'
  ).split(' '),
);

/** First words that make a name a quantity or a switch: MAX_TOKENS, isPrivate, showPassword. */
const PREDICATES = new Set(
  (
    'MAX MIN NUM TOTAL IS HAS SHOULD SHOW HIDE USE ENABLE REQUIRE ALLOW NO SKIP ON GET ' +
    'VALIDATE CHECK'
  ).split(' '),
);

/** Words before KEY that make it a credential (`apiKey`, `signingKey`), unlike `cacheKey`. */
const KEY_QUALIFIERS = new Set(
  (
    'API ACCESS SECRET PRIVATE SIGNING SIGN ENCRYPTION ENCRYPT DECRYPTION MASTER LICENSE SSH ' +
    'CLIENT APP AUTH HMAC JWT SERVER SUBSCRIPTION ACCOUNT SHARED ADMIN SESSION CONSUMER WRITE ' +
    'DEPLOY ROOT CRYPTO AES CIPHER PASSWORD TOKEN SERVICE ROLE'
  ).split(' '),
);

/**
 * Is `words[i]` a word that holds a secret, under the narrow text rule? SESSION alone is not:
 * `sessionId` in logs, fixtures and analytics is an identifier far more often than a
 * credential, and session cookies are still caught through Cookie headers and the *_TOKEN,
 * *_SECRET and SESSION_KEY names. Nor is WEBHOOK: Slack's URLs have their own detector.
 */
function isSecretWord(words: readonly string[], i: number, envStyle: boolean): boolean {
  const word = words[i] ?? '';
  if (SECRET_PARTS.some((part) => word.includes(part))) return true;
  if (word.includes('APIKEY') || word.includes('COOKIE')) return true;
  // TOKEN and ACCESSTOKEN, not TOKENS (max_tokens, a lexer's tokens) or TOKENIZER.
  if (word.endsWith('TOKEN')) return true;
  // AUTHENTICATION names a mechanism (`authentication = "internal_hashed"`), not a credential;
  // AUTHENTICITY is a property.
  if (AUTH.test(word) && !word.includes('AUTHENTIC')) return true;
  if (word === 'PASS' || word === 'PWD') return true;
  if (word !== 'KEY' || i === 0) return false;
  const before = words[i - 1] ?? '';
  if (before === 'PUBLIC') return false;
  // In a .env line (`FOO_KEY=…`) every _KEY is a credential, as in the environment.
  return KEY_QUALIFIERS.has(before) || (envStyle && i === words.length - 1);
}

/**
 * The narrow rule, for keys in text (the last part of a dotted name): a secret word as in
 * {@link secretNameRule}, but TOKEN only at a word's end, AUTH not as AUTHENTICATION, no SESSION
 * or WEBHOOK alone, and _KEY only after a qualifier such as API, ACCESS or SIGNING (any _KEY in
 * a .env-style line, `envStyle`); no describing word after it (URL, FILE, TYPE, TTL…), no
 * quantity or switch first (MAX, IS, SHOW…), and at most six words.
 */
export function holdsSecret(name: string, envStyle = false): boolean {
  const words = nameWords(ownName(name));
  // A sentence used as a message id (TypeScript's `Unexpected_token_expected_1179`), and the
  // shell's working directory.
  if (words.length > 6 || name === 'PWD' || name === 'OLDPWD') return false;
  let last = -1;
  for (let i = 0; i < words.length; i++) if (isSecretWord(words, i, envStyle)) last = i;
  if (last < 0) return false;
  if (PREDICATES.has(words[0] ?? '') && last > 0) return false;
  return !words.slice(last + 1).some((word) => DESCRIBES.has(word));
}

/**
 * The part of a dotted name that names the value: `config.db.password` → `password`,
 * `token.output` → `output`; a bare `key` keeps its qualifier (`app.secret.key` →
 * `secret.key`).
 */
function ownName(name: string): string {
  const parts = name.split('.').filter((part) => part !== '');
  const last = parts.at(-1) ?? name;
  return /^key$/i.test(last) && parts.length > 1 ? parts.slice(-2).join('.') : last;
}

/** Names that hold an AWS secret access key (AWS CLI config and credentials files, SDK env). */
export function isAwsSecretKeyName(name: string): boolean {
  const joined = nameWords(name).join('_');
  return (
    /(?:^|_)SECRET_(?:ACCESS_)?KEY$/.test(joined) &&
    (joined.startsWith('AWS') || joined === 'SECRET_ACCESS_KEY')
  );
}
