import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASE62, Draw, fakeSecrets } from './fake-secrets.ts';
import { assertUntouched, found, scrubbed } from './scrub-assert.ts';

const s = fakeSecrets(7);
const draw = new Draw(99);

describe('AWS credentials', () => {
  it('redacts the access key id and the labelled secret key in a .env file', () => {
    const input = `AWS_ACCESS_KEY_ID=${s.awsKeyId}\nAWS_SECRET_ACCESS_KEY=${s.awsSecret}\nAWS_REGION=eu-west-1\n`;
    const result = scrubbed(input, s.awsKeyId, s.awsSecret);
    assert.equal(
      result.text,
      'AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key-id]\nAWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-access-key]\nAWS_REGION=eu-west-1\n',
    );
    assert.deepEqual(found(result), [
      'aws-access-key-id@1:AWS_ACCESS_KEY_ID',
      'aws-secret-access-key@2:AWS_SECRET_ACCESS_KEY',
    ]);
  });

  it('redacts them in ~/.aws/credentials and in sts assume-role JSON', () => {
    const ini = `[default]\naws_access_key_id = ${s.awsKeyId}\naws_secret_access_key = ${s.awsSecret}\n`;
    assert.deepEqual(found(scrubbed(ini, s.awsKeyId, s.awsSecret)), [
      'aws-access-key-id@2:aws_access_key_id',
      'aws-secret-access-key@3:aws_secret_access_key',
    ]);
    const temporary = `ASIA${draw.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
    const session = draw.chars(300, BASE62 + '/+');
    const json = `{\n  "Credentials": {\n    "AccessKeyId": "${temporary}",\n    "SecretAccessKey": "${s.awsSecret}",\n    "SessionToken": "${session}",\n    "Expiration": "2025-01-01T00:00:00Z"\n  }\n}`;
    const result = scrubbed(json, temporary, s.awsSecret, session);
    assert.deepEqual(found(result), [
      'aws-access-key-id@3:AccessKeyId',
      'aws-secret-access-key@4:SecretAccessKey',
      'secret-assignment@5:SessionToken',
    ]);
    assert.match(result.text, /"Expiration": "2025-01-01T00:00:00Z"/);
  });

  it('finds an access key id anywhere, but not inside a longer word', () => {
    const code = `const s3 = new S3Client({ credentials: { accessKeyId: '${s.awsKeyId}' } });`;
    assert.equal(
      scrubbed(code, s.awsKeyId).text,
      "const s3 = new S3Client({ credentials: { accessKeyId: '[REDACTED:aws-access-key-id]' } });",
    );
    assertUntouched(`id = X${s.awsKeyId}`);
    assertUntouched(`id = ${s.awsKeyId}Q`);
    assertUntouched('AKIAlowercase0000000');
  });
});

describe('GitHub tokens', () => {
  it('redacts classic, OAuth, server and fine-grained tokens in shell, YAML and JSON', () => {
    const input = [
      `export GITHUB_TOKEN=${s.githubClassic}`,
      `  token: ${s.githubOauth}`,
      `{"installation_token": "${s.githubServer}", "fine": "${s.githubFineGrained}"}`,
      `push with ${s.githubClassic}, then revoke it`,
    ].join('\n');
    const result = scrubbed(
      input,
      s.githubClassic,
      s.githubOauth,
      s.githubServer,
      s.githubFineGrained,
    );
    assert.deepEqual(found(result), [
      'github-token@1:GITHUB_TOKEN',
      'github-token@2:token',
      'github-token@3:installation_token',
      'github-token@3',
      'github-token@4',
    ]);
    assert.equal(result.text.split('\n')[3], 'push with [REDACTED:github-token], then revoke it');
  });

  it('keeps user and host of a clone URL carrying a token', () => {
    const url = `git clone https://x-access-token:${s.githubServer}@github.com/org/repo.git`;
    assert.equal(
      scrubbed(url, s.githubServer).text,
      'git clone https://x-access-token:[REDACTED:github-token]@github.com/org/repo.git',
    );
  });

  it('leaves look-alikes that are too short alone', () => {
    assertUntouched('ghp_short and gho_ and ghs_' + 'a'.repeat(35));
  });
});

describe('Slack', () => {
  it('redacts bot and user tokens, and the secret path of a webhook URL', () => {
    const input = [
      `SLACK_BOT_TOKEN=${s.slackBot}`,
      `client = WebClient(token="${s.slackUser}")`,
      `alerts:`,
      `  url: https://hooks.slack.com/services/${s.slackWebhookPath}`,
    ].join('\n');
    const result = scrubbed(input, s.slackBot, s.slackUser, s.slackWebhookPath);
    assert.deepEqual(found(result), [
      'slack-token@1:SLACK_BOT_TOKEN',
      'slack-token@2:token',
      'slack-webhook@4',
    ]);
    assert.equal(
      result.text.split('\n')[3],
      '  url: https://hooks.slack.com/services/[REDACTED:slack-webhook]',
    );
  });
});

describe('JWTs', () => {
  it('redacts a bearer JWT in an HTTP request dump and in curl, keeping the scheme', () => {
    const http = `GET /api/v1/me HTTP/1.1\nHost: api.example.com\nAuthorization: Bearer ${s.jwt}\nAccept: application/json\n`;
    const result = scrubbed(http, s.jwt);
    assert.equal(
      result.text,
      'GET /api/v1/me HTTP/1.1\nHost: api.example.com\nAuthorization: Bearer [REDACTED:jwt]\nAccept: application/json\n',
    );
    assert.deepEqual(found(result), ['jwt@3:Authorization']);
    const curl = `curl -H "Authorization: Bearer ${s.jwt}" https://api.example.com/me`;
    assert.equal(
      scrubbed(curl, s.jwt).text,
      'curl -H "Authorization: Bearer [REDACTED:jwt]" https://api.example.com/me',
    );
  });

  it('redacts a JWT in JSON and in prose, but not dotted base64 without a JOSE header', () => {
    const json = `{"id_token":"${s.jwt}","expires_in":3600}`;
    assert.equal(scrubbed(json, s.jwt).text, '{"id_token":"[REDACTED:jwt]","expires_in":3600}');
    assert.equal(
      scrubbed(`token was ${s.jwt} yesterday`, s.jwt).text,
      'token was [REDACTED:jwt] yesterday',
    );
    const notJose = ['{"foo":"bar"}', '{"n":1}', 'sig']
      .map((part) => Buffer.from(part).toString('base64url'))
      .join('.');
    assertUntouched(`value = ${notJose}`);
  });

  it('redacts opaque bearer credentials and Basic credentials after Authorization', () => {
    const opaque = draw.chars(40);
    const basic = Buffer.from(`admin:${s.password}`).toString('base64');
    const input = `Authorization: Bearer ${opaque}\nheaders = {"Authorization": "Basic ${basic}"}`;
    const result = scrubbed(input, opaque, basic);
    assert.equal(
      result.text,
      'Authorization: Bearer [REDACTED:authorization-header]\nheaders = {"Authorization": "Basic [REDACTED:authorization-header]"}',
    );
  });
});

describe('vendor API keys', () => {
  const cases: [string, string, string][] = [
    ['google-api-key', s.google, `const firebaseConfig = { apiKey: "${s.google}" };`],
    ['google-api-key', s.google, `https://maps.googleapis.com/maps/api/js?key=${s.google}&v=3`],
    ['stripe-key', s.stripeLive, `STRIPE_SECRET_KEY=${s.stripeLive}`],
    ['stripe-key', s.stripeRestricted, `stripe.api_key = "${s.stripeRestricted}"`],
    ['openai-api-key', s.openai, `OPENAI_API_KEY=${s.openai}`],
    ['anthropic-api-key', s.anthropic, `client = Anthropic(api_key="${s.anthropic}")`],
    ['npm-token', s.npm, `//registry.npmjs.org/:_authToken=${s.npm}`],
    ['hugging-face-token', s.huggingFace, `huggingface-cli login --token ${s.huggingFace}`],
    [
      'gitlab-token',
      s.gitlab,
      `git remote add origin https://oauth2:${s.gitlab}@gitlab.com/g/p.git`,
    ],
    ['sendgrid-api-key', s.sendgrid, `sg = SendGridAPIClient("${s.sendgrid}")`],
  ];
  for (const [kind, secret, line] of cases)
    it(`redacts ${kind} in ${line.slice(0, 40)}…`, () => {
      const result = scrubbed(line, secret);
      assert.equal(result.redactions.length, 1);
      assert.equal(result.redactions[0]?.kind, kind);
      assert.equal(result.text, line.replace(secret, `[REDACTED:${kind}]`));
    });

  it('leaves publishable keys, CSS classes and short look-alikes alone', () => {
    assertUntouched(`STRIPE_PUBLISHABLE_KEY_VALUE is pk_live_${draw.chars(24)}`);
    assertUntouched('<div class="sk-spinner-double-bounce-animation-fast">');
    assertUntouched('npm_config_cache=/tmp/npm hf_hub_download AIzaShort');
  });
});

describe('passwords in URLs', () => {
  it('keeps scheme, user and host and redacts only the password', () => {
    // RFC 3986 §3.2.1: a password in a URL is percent-encoded, so no raw `#` or `@` in it.
    const pw = `${draw.chars(12)}%23${draw.chars(4)}`;
    const input = [
      `DATABASE_URL=postgres://app:${pw}@db.internal:5432/app?sslmode=require`,
      `REDIS_URL=redis://:${pw}@cache:6379/0`,
      `mongo = "mongodb+srv://reader:${pw}@cluster0.example.net/?retryWrites=true"`,
    ].join('\n');
    const result = scrubbed(input, pw);
    assert.equal(
      result.text,
      [
        'DATABASE_URL=postgres://app:[REDACTED:url-password]@db.internal:5432/app?sslmode=require',
        'REDIS_URL=redis://:[REDACTED:url-password]@cache:6379/0',
        'mongo = "mongodb+srv://reader:[REDACTED:url-password]@cluster0.example.net/?retryWrites=true"',
      ].join('\n'),
    );
    assert.deepEqual(found(result), ['url-password@1', 'url-password@2', 'url-password@3']);
  });

  it('leaves URLs without a literal password alone', () => {
    assertUntouched('DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app');
    assertUntouched('url: postgres://user:<password>@localhost/db');
    assertUntouched(
      'git@github.com:org/repo.git and https://user@example.com/x and http://host:8080/',
    );
  });
});
