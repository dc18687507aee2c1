import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubText } from '../../../src/context/scrub.ts';
import { BASE62, Draw, fakeSecrets } from './fake-secrets.ts';
import { assertNoLeak } from './scrub-assert.ts';

/** A secret planted in text: the snippet written, and the parts that must never come out. */
interface Plant {
  readonly snippet: string;
  readonly secrets: readonly string[];
}

const KEYS = fakeSecrets(21);
const PEMS = [KEYS.rsaPem, KEYS.ecPem, KEYS.pkcs8Pem, KEYS.encryptedPem, KEYS.opensshPem];

/** Characters and fragments that stress the detectors: quotes, separators, prefixes, escapes. */
const NOISE = [
  ...Array.from('abcXYZ019 =:"\'`\\\n\t-_./@?&;#${}<>[](),+*!|~%'),
  'token',
  'password',
  'Password: ',
  'api_key=',
  'AKIA',
  'ghp_',
  'eyJ',
  'sk-',
  'xoxb-',
  '://',
  'https://',
  'user:',
  '-----BEGIN PRIVATE KEY-----',
  '-----END PRIVATE KEY-----',
  'Authorization: Bearer ',
  '--token ',
  '${',
  '[REDACTED:',
  '\r\n',
  '+',
  'é',
  '🚀',
];

/** Random text of up to `max` pieces of noise. */
function noise(draw: Draw, max: number): string {
  let out = '';
  for (let n = draw.int(max); n > 0; n--) out += draw.pick(NOISE);
  return out;
}

/** One planted secret, fresh from `draw`; token formats sit between non-word delimiters. */
function plant(draw: Draw): Plant {
  const pw = draw.chars(10 + draw.int(20));
  const token = (secret: string): Plant => ({ snippet: secret, secrets: [secret] });
  const pem = draw.pick(PEMS);
  const body = pem.split('\n').filter((line) => !line.startsWith('-----'));
  const choices: (() => Plant)[] = [
    () => token(KEYS.awsKeyId),
    () => token(`ASIA${draw.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`),
    () => token(`gh${draw.pick(['p', 'o', 'u', 's', 'r'])}_${draw.chars(36)}`),
    () => token(`github_pat_${draw.chars(22)}_${draw.chars(59)}`),
    () => token(`glpat-${draw.chars(20)}`),
    () => token(`xoxb-${draw.chars(12, '0123456789')}-${draw.chars(24)}`),
    () => token(`AIza${draw.chars(35)}`),
    () => token(`sk_live_${draw.chars(40)}`),
    () => token(`sk-proj-${draw.chars(64)}`),
    () => token(`sk-ant-api03-${draw.chars(90)}`),
    () => token(`npm_${draw.chars(36)}`),
    () => token(`hf_${draw.chars(34)}`),
    () => token(`SG.${draw.chars(22)}.${draw.chars(43)}`),
    () => token(fakeJwt(draw)),
    () => ({ snippet: `https://hooks.slack.com/services/T1/B2/${pw}`, secrets: [pw] }),
    () => ({ snippet: `postgres://app:${pw}@db.internal:5432/app`, secrets: [pw] }),
    () => ({ snippet: `\nDB_PASSWORD=${pw}\n`, secrets: [pw] }),
    () => ({ snippet: `\n  password: ${pw}\n`, secrets: [pw] }),
    () => ({ snippet: ` "client_secret": "${pw}" `, secrets: [pw] }),
    () => ({ snippet: ` --password=${pw} `, secrets: [pw] }),
    () => ({ snippet: ` Authorization: Bearer ${pw} `, secrets: [pw] }),
    () => ({ snippet: `?access_token=${pw}&`, secrets: [pw] }),
    () => ({ snippet: `\n${pem}\n`, secrets: [pem, ...body.filter((line) => line.length > 20)] }),
    () => ({
      snippet: `\n${pem
        .split('\n')
        .map((line) => `+${line}`)
        .join('\n')}\n`,
      secrets: body.filter((line) => line.length > 20),
    }),
  ];
  return draw.pick(choices)();
}

/** A JWT-shaped token with a real JOSE header and random claims and signature. */
function fakeJwt(draw: Draw): string {
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: draw.chars(8) })).toString(
    'base64url',
  );
  return `${header}.${draw.chars(40, `${BASE62}_-`)}.${draw.chars(43, `${BASE62}_-`)}`;
}

const BEFORE = [' ', '\n', '\t', '(', ',', '{', '[', '>', ' = ', ': ', '"', "'"];
const AFTER = [' ', '\n', '\t', ')', ',', '}', ']', '<', ';', '"', "'"];

describe('random text with secrets planted in it (seeded)', () => {
  const ROUNDS = 3000;
  it(`never throws, never leaks, keeps the line count: ${String(ROUNDS)} rounds`, () => {
    const draw = new Draw(0x5c12b);
    let planted = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Noise, then up to three secrets each followed by more noise (never one inside another).
      let text = noise(draw, 40);
      const secrets: string[] = [];
      for (let n = draw.int(4); n > 0; n--) {
        const { snippet, secrets: parts } = plant(draw);
        text += `${draw.pick(BEFORE)}${snippet}${draw.pick(AFTER)}${noise(draw, 30)}`;
        secrets.push(...parts);
        planted++;
      }
      assertNoLeak(text, scrubText(text), secrets);
    }
    assert.ok(planted > ROUNDS, `only ${String(planted)} secrets planted`);
  });
});

describe('pathological input runs in linear time', () => {
  const MB = 1 << 20;
  // Bounded repetitions and look-behind guards keep each of these to tens of milliseconds; a
  // backtracking regex would take minutes or hours. The limit is generous: this guards against
  // that, on a loaded CI machine, and is no speed measurement.
  const LIMIT_MS = 10_000;
  const inputs: Record<string, string> = {
    'a= repeated': 'a='.repeat(MB / 2),
    'one long word': 'a'.repeat(MB),
    'AKIA repeated': 'AKIA'.repeat(MB / 4),
    'eyJ repeated': 'eyJ'.repeat(MB / 3),
    'eyJa. repeated': 'eyJa.'.repeat(MB / 5),
    'ghp_ repeated': 'ghp_'.repeat(MB / 4),
    'sk- repeated': 'sk-'.repeat(MB / 3),
    'BEGIN headers on one line': '-----BEGIN RSA PRIVATE KEY-----'.repeat(MB / 31),
    'BEGIN headers, one per line': '-----BEGIN PRIVATE KEY-----\n'.repeat(MB / 28),
    'BEGINs over many blank lines': `${'-----BEGIN PRIVATE KEY-----'.repeat(1000)}\n${'\n'.repeat(MB / 4)}`,
    'unclosed URL userinfo': 'postgres://u:'.repeat(MB / 13),
    "unclosed password:'": "password:'".repeat(MB / 10),
    'unclosed escaped JSON': '{\\"token\\": \\"'.repeat(MB / 14),
    'flags in flags': '--token='.repeat(MB / 8),
    'flag after flag': ' --token x'.repeat(MB / 10),
    'unclosed XML': '<password>'.repeat(MB / 10),
    'Authorization repeated': 'Authorization: '.repeat(MB / 15),
    'quoted headers': '"X-Api-Key: '.repeat(MB / 12),
    backslashes: '\\'.repeat(MB),
    'a value of spaces': `PASSWORD=${' x'.repeat(MB / 2)}`,
    'a long flag value': `--token=${'a1'.repeat(MB / 2)}`,
    'a long query value': `?token=${'a1'.repeat(MB / 2)}`,
    'reference openers': `token: "${'${'.repeat(MB / 2)}`,
    'URL-ish soup': 'a:b@c/d?e=f&g;h'.repeat(MB / 15),
    'connection-string pairs': ';Password='.repeat(MB / 10),
    'query pairs in values': '?a='.repeat(MB / 3),
    'npmrc pairs in values': 'a=:_a'.repeat(MB / 5),
    'many secret lines': 'DB_PASSWORD=hunter2hunter2\n'.repeat(MB / 64),
    'blanks after a value': `PASSWORD=a${' '.repeat(MB)}x`,
    'blanks and tabs after a YAML value': `password: a${' \t'.repeat(MB / 2)}x`,
    'blanks after a URL scheme': `a://${' '.repeat(MB)}`,
    'blanks inside a key body': `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(24)}${' '.repeat(MB)}x`,
    'template openers in a value': `password: "a {{${'{{'.repeat(MB / 2)}"`,
    'capitals in a value': `password: "${'A'.repeat(MB)}a"`,
    'capitals in a name': `${'A'.repeat(MB)}a_PASSWORD=1`,
  };
  for (const [name, input] of Object.entries(inputs))
    it(`${name} (${String(Math.round(input.length / 1024))} KiB)`, () => {
      const started = performance.now();
      const result = scrubText(input);
      const elapsed = performance.now() - started;
      assert.equal(result.text.split('\n').length, input.split('\n').length);
      assert.ok(elapsed < LIMIT_MS, `took ${String(Math.round(elapsed))} ms`);
    });
});
