import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Draw } from './fake-secrets.ts';
import { assertUntouched, found, scrubbed } from './scrub-assert.ts';

const draw = new Draw(11);
const pw = `${draw.chars(12)}!${draw.chars(3)}`;
const R = '[REDACTED:secret-assignment]';

describe('values assigned to secret-looking names', () => {
  it('redacts them in .env, shell, YAML, JSON, INI and TOML, keeping name and separator', () => {
    const cases: [string, string][] = [
      [`DB_PASSWORD=${pw}`, `DB_PASSWORD=${R}`],
      [`export PGPASSWORD=${pw}`, `export PGPASSWORD=${R}`],
      [`# SMTP_PASS=${pw}`, `# SMTP_PASS=${R}`],
      [`  password: ${pw}`, `  password: ${R}`],
      [`  password: ${pw} # rotated monthly`, `  password: ${R} # rotated monthly`],
      [`      - POSTGRES_PASSWORD=${pw}`, `      - POSTGRES_PASSWORD=${R}`],
      [`  "password": "${pw}",`, `  "password": "${R}",`],
      [
        `{"user":"app","password":"${pw}","port":5432}`,
        `{"user":"app","password":"${R}","port":5432}`,
      ],
      [`password = ${pw}`, `password = ${R}`],
      [`client_secret = "${pw}"`, `client_secret = "${R}"`],
      [`SECRET_KEY_BASE='${pw}'`, `SECRET_KEY_BASE='${R}'`],
      [`apiKey: '${pw}',`, `apiKey: '${R}',`],
      [`const clientSecret = "${pw}";`, `const clientSecret = "${R}";`],
      [`db = connect(host="db", password="${pw}")`, `db = connect(host="db", password="${R}")`],
      [`$password = '${pw}';`, `$password = '${R}';`],
      [`'password' => '${pw}',`, `'password' => '${R}',`],
      [`password := "${pw}"`, `password := "${R}"`],
      [`"pin": 1234,`, `"pin": 1234,`],
      [`"passcode": 123456,`, `"passcode": ${R},`],
    ];
    for (const [input, expected] of cases) assert.equal(scrubbed(input, pw).text, expected, input);
  });

  it('redacts an added line in a unified diff and keeps the hunk intact', () => {
    const diff = [
      'diff --git a/.env b/.env',
      'index 3b18e51..a9c0f4e 100644',
      '--- a/.env',
      '+++ b/.env',
      '@@ -1,3 +1,4 @@',
      ' NODE_ENV=development',
      ' PORT=3000',
      '-DB_PASSWORD=',
      `+DB_PASSWORD=${pw}`,
      '+DB_POOL=10',
    ].join('\n');
    const result = scrubbed(diff, pw);
    const expected = diff.replace(`+DB_PASSWORD=${pw}`, `+DB_PASSWORD=${R}`);
    assert.equal(result.text, expected);
    assert.deepEqual(found(result), ['secret-assignment@9:DB_PASSWORD']);
  });

  it('redacts flags, query strings, connection strings, XML, .npmrc and headers in strings', () => {
    const uuid = '3f1c2a9e-7b4d-4c8e-9a1f-2d6b8e0c4f7a';
    const cases: [string, string][] = [
      [`mysql --user=root --password=${pw} app`, `mysql --user=root --password=${R} app`],
      [
        `docker login --password ${pw} registry.example.com`,
        `docker login --password ${R} registry.example.com`,
      ],
      [
        `java -Djavax.net.ssl.keyStorePassword=${pw} -jar app.jar`,
        `java -Djavax.net.ssl.keyStorePassword=${R} -jar app.jar`,
      ],
      [
        `GET /callback?code=abc&access_token=${pw}&state=1`,
        `GET /callback?code=abc&access_token=${R}&state=1`,
      ],
      [
        `Server=db;Database=app;User Id=sa;Password=${pw};`,
        `Server=db;Database=app;User Id=sa;Password=${R};`,
      ],
      [`      <password>${pw}</password>`, `      <password>${R}</password>`],
      [`//registry.npmjs.org/:_authToken=${uuid}`, `//registry.npmjs.org/:_authToken=${R}`],
      [
        `curl -H "X-Api-Key: ${pw}" https://api.example.com`,
        `curl -H "X-Api-Key: ${R}" https://api.example.com`,
      ],
      [`Cookie: session_id=${pw}; theme=dark`, `Cookie: ${R}`],
    ];
    for (const [input, expected] of cases)
      assert.equal(scrubbed(input, pw, uuid).text, expected, input);
  });

  it('names the key in the record, never the value', () => {
    const result = scrubbed(`STRIPE_WEBHOOK_SECRET=${pw}\n\nadmin_password: "${pw}"`, pw);
    assert.deepEqual(found(result), [
      'secret-assignment@1:STRIPE_WEBHOOK_SECRET',
      'secret-assignment@3:admin_password',
    ]);
    assert.deepEqual(result.redactions[1], {
      type: 'redacted',
      kind: 'secret-assignment',
      line: 3,
      column: 18,
      name: 'admin_password',
    });
  });
});

describe('what is not a literal secret', () => {
  it('leaves empty values, placeholders and references alone', () => {
    for (const line of [
      'PASSWORD=',
      'DB_PASSWORD= # set in production',
      'password: ${DB_PASSWORD}',
      'password: $DB_PASSWORD',
      'export GITHUB_TOKEN=$(gh auth token)',
      'token: ${{ secrets.GITHUB_TOKEN }}',
      'password: "{{ .Values.db.password }}"',
      'API_KEY=<your-api-key-here>',
      'API_KEY=your_api_key_here',
      'SECRET_KEY=changeme',
      'password: "********"',
      'password = %(db_password)s',
      'component_secret = @COMPONENT_SECRET@',
      '"password": null,',
      'auth: basic',
      "fetch(url, { credentials: 'include' });",
      '  id-token: write',
    ])
      assertUntouched(line);
  });

  it('leaves code alone: calls, member access, comparisons, types, variables', () => {
    for (const line of [
      'const password = prompt();',
      'if (token === undefined) return;',
      "if (password !== '') login();",
      'const token = await getToken();',
      '  token: string;',
      '  password?: string;',
      '  readonly apiKey: string | undefined;',
      '  token: options.token ?? process.env.TOKEN,',
      '  token: accessToken,',
      '  secret,',
      'password = getpass.getpass()',
      'api_key = os.environ["API_KEY"]',
      'token = None',
      '  tokens: Token[];',
      "const label = mode === 'client' ? 'password' : 'component secret';",
      "type Auth = { secret: 'prompt' | 'stdin' };",
      'const password = `${user}-pw`;',
      "console.log('password:', password);",
      'headers.Authorization = `Bearer ${token}`;',
      'authUploadDeviceSigningKeys: async (makeRequest) => {',
    ])
      assertUntouched(line);
  });

  it('leaves names that describe a secret without holding it alone', () => {
    for (const line of [
      "const cacheKey = 'users';",
      "const STORAGE_KEY = 'mx-agent-state';",
      'max_tokens: 4096',
      'TOKEN_URL=https://auth.example.com/oauth/token',
      'password_file: /run/secrets/db_password',
      '"private": true,',
      'author: "Jane Doe <jane@example.com>"',
      'GIT_AUTHOR_NAME=Jane',
      "auth: 'password' | 'token'",
      'showPassword: false,',
      'session_timeout: 30',
      'tokenizer: "cl100k_base"',
      "kind: 'token'",
      "placeholder: 'Enter your password'",
      'Password = "m.login.password",',
      'RefreshTokenFailed = "Failed to refresh token",',
      "publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'",
    ])
      assertUntouched(line);
  });

  it('leaves help text alone: metavariables and prose around flags', () => {
    for (const line of [
      '  --token <token>      access token for the registry',
      '  --password PASSWORD  database password',
      'Pass the --password flag to log in.',
      '  --password-file PATH read the password from PATH',
      "args.push('--token=' + token);",
    ])
      assertUntouched(line);
  });
});
