import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrubText, summarize, type Redaction, type Withheld } from '../../../src/context/scrub.ts';
import { fakeSecrets } from './fake-secrets.ts';

const s = fakeSecrets(9);

/** A redaction record with defaults. */
function redaction(line: number, extra: Partial<Redaction> = {}): Redaction {
  return { type: 'redacted', kind: 'github-token', line, column: 1, ...extra };
}

test('one line per redaction, naming the kind, the file and the line', () => {
  assert.deepEqual(summarize([redaction(12)], 'src/config.ts'), [
    'redacted a GitHub token in src/config.ts line 12',
  ]);
  assert.deepEqual(summarize([redaction(3, { kind: 'jwt' })]), ['redacted a JWT on line 3']);
});

test('a named value says whose value it was; a named token says both', () => {
  assert.deepEqual(
    summarize(
      [
        redaction(3, { kind: 'secret-assignment', name: 'DB_PASSWORD' }),
        redaction(4, { name: 'GITHUB_TOKEN' }),
      ],
      '.env',
    ),
    [
      'redacted the value of DB_PASSWORD in .env line 3',
      'redacted a GitHub token (GITHUB_TOKEN) in .env line 4',
    ],
  );
});

test('repeats of one kind and name share a line; long lists are counted', () => {
  const lines = [4, 9, 12, 15, 20, 31, 40, 41];
  assert.deepEqual(
    summarize(
      lines.map((line) => redaction(line, { kind: 'jwt' })),
      'session.har',
    ),
    ['redacted 8 JWTs in session.har lines 4, 9, 12, 15, 20, 31 and 2 more'],
  );
  assert.deepEqual(summarize([redaction(1), redaction(5)], 'a.sh'), [
    'redacted 2 GitHub tokens in a.sh lines 1 and 5',
  ]);
});

test('a multi-line private key names its range', () => {
  assert.deepEqual(
    summarize([redaction(1, { kind: 'private-key', endLine: 27 })], 'deploy/id_rsa'),
    ['redacted a private key in deploy/id_rsa lines 1–27'],
  );
});

test('withheld variables come with the reason, in the order given', () => {
  const withheld: Withheld[] = [
    {
      type: 'withheld',
      name: 'AWS_SECRET_ACCESS_KEY',
      reason: 'secret-name',
      rule: { rule: 'word', word: 'SECRET' },
    },
    {
      type: 'withheld',
      name: 'AWS_REGION',
      reason: 'secret-name',
      rule: { rule: 'provider', prefix: 'AWS_' },
    },
    { type: 'withheld', name: 'DATABASE_URL', reason: 'secret-value', kind: 'url-password' },
  ];
  assert.deepEqual(summarize(withheld), [
    'withheld AWS_SECRET_ACCESS_KEY (secret-looking name)',
    'withheld AWS_REGION (AWS_ variables carry credentials)',
    'withheld DATABASE_URL (its value holds a password in a URL)',
  ]);
});

test('summaries of a real scrub never contain the secrets', () => {
  const text = `GITHUB_TOKEN=${s.githubClassic}\nAuthorization: Bearer ${s.jwt}\n${s.rsaPem}\n`;
  const lines = summarize(scrubText(text).redactions, 'notes.md');
  assert.deepEqual(lines, [
    'redacted a GitHub token (GITHUB_TOKEN) in notes.md line 1',
    'redacted a JWT (Authorization) in notes.md line 2',
    `redacted a private key in notes.md lines 3–${String(2 + s.rsaPem.split('\n').length)}`,
  ]);
  for (const secret of [s.githubClassic, s.jwt, s.rsaPem])
    assert.ok(!lines.join('\n').includes(secret));
});
