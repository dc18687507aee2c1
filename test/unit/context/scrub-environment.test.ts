import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubEnvironment, summarize } from '../../../src/context/scrub.ts';
import { UsageError } from '../../../src/errors.ts';
import { fakeSecrets } from './fake-secrets.ts';

const s = fakeSecrets(5);

/** A developer's environment: ordinary variables, credentials, and some that only look alike. */
const ENV: Record<string, string | undefined> = {
  HOME: '/home/dev',
  PATH: '/usr/local/bin:/usr/bin:/bin',
  SHELL: '/bin/zsh',
  PWD: '/home/dev/project',
  LANG: 'en_GB.UTF-8',
  LC_ALL: 'en_GB.UTF-8',
  LC_CTYPE: 'UTF-8',
  NODE_ENV: 'development',
  EDITOR: 'vim',
  GIT_AUTHOR_NAME: 'Jane Dev',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: s.awsKeyId,
  AWS_SECRET_ACCESS_KEY: s.awsSecret,
  GITHUB_TOKEN: s.githubClassic,
  GH_TOKEN: s.githubOauth,
  NPM_TOKEN: s.npm,
  OPENAI_API_KEY: s.openai,
  ANTHROPIC_BASE_URL: 'https://api.anthropic.com',
  SLACK_WEBHOOK_URL: `https://hooks.slack.com/services/${s.slackWebhookPath}`,
  DATABASE_URL: `postgres://app:${s.password.replace(/[#!]/g, 'x')}@db:5432/app`,
  READONLY_DATABASE_URL: 'postgres://reader@db:5432/app',
  DB_PASSWORD: s.password,
  SESSION_ID: 'abc',
  MY_SIGNING_KEY: 'k',
  HUGGINGFACE_HUB_CACHE: '/tmp/hf',
  CI_NOTE: `deploy with ${s.githubServer}`,
  UNSET_BUT_ALLOWED: undefined,
};

const SECRETS = [
  s.awsKeyId,
  s.awsSecret,
  s.githubClassic,
  s.githubOauth,
  s.githubServer,
  s.npm,
  s.openai,
  s.slackWebhookPath,
  s.password,
];

describe('the environment snapshot', () => {
  it('sends only allowed variables, and withholds allowed ones that look secret', () => {
    const allow = [
      'HOME',
      'PATH',
      'NODE_ENV',
      'LC_*',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
      'GITHUB_TOKEN',
      'DATABASE_URL',
      'READONLY_DATABASE_URL',
      'CI_NOTE',
      'UNSET_BUT_ALLOWED',
    ];
    const snapshot = scrubEnvironment(ENV, allow);
    assert.deepEqual(snapshot.kept, {
      HOME: '/home/dev',
      LC_ALL: 'en_GB.UTF-8',
      LC_CTYPE: 'UTF-8',
      NODE_ENV: 'development',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      READONLY_DATABASE_URL: 'postgres://reader@db:5432/app',
    });
    assert.deepEqual(summarize(snapshot.withheld), [
      'withheld AWS_REGION (AWS_ variables carry credentials)',
      'withheld AWS_SECRET_ACCESS_KEY (secret-looking name)',
      'withheld CI_NOTE (its value holds a GitHub token)',
      'withheld DATABASE_URL (its value holds a password in a URL)',
      'withheld GITHUB_TOKEN (secret-looking name)',
    ]);
    const everything = JSON.stringify(snapshot);
    for (const secret of SECRETS) assert.ok(!everything.includes(secret));
    // Not allowed, so neither sent nor mentioned.
    assert.ok(!everything.includes('OPENAI_API_KEY') && !everything.includes('SHELL'));
  });

  it('withholds every secret-looking name the rules list, with the rule that matched', () => {
    const names = Object.keys(ENV);
    const snapshot = scrubEnvironment(ENV, names);
    assert.deepEqual(
      snapshot.withheld.map((w) =>
        w.reason === 'secret-name'
          ? `${w.name}:${w.rule.rule === 'word' ? w.rule.word : w.rule.prefix}`
          : `${w.name}:${w.kind}`,
      ),
      [
        'ANTHROPIC_BASE_URL:ANTHROPIC_',
        'AWS_ACCESS_KEY_ID:AWS_',
        'AWS_REGION:AWS_',
        'AWS_SECRET_ACCESS_KEY:SECRET',
        'CI_NOTE:github-token',
        'DATABASE_URL:url-password',
        'DB_PASSWORD:PASSWORD',
        'GH_TOKEN:TOKEN',
        'GITHUB_TOKEN:TOKEN',
        'MY_SIGNING_KEY:_KEY',
        'NPM_TOKEN:TOKEN',
        'OPENAI_API_KEY:API_KEY',
        'SESSION_ID:SESSION',
        'SLACK_WEBHOOK_URL:WEBHOOK',
      ],
    );
    assert.deepEqual(Object.keys(snapshot.kept), [
      'EDITOR',
      'GIT_AUTHOR_NAME',
      'HOME',
      'HUGGINGFACE_HUB_CACHE',
      'LANG',
      'LC_ALL',
      'LC_CTYPE',
      'NODE_ENV',
      'PATH',
      'PWD',
      'READONLY_DATABASE_URL',
      'SHELL',
    ]);
  });

  it('matches names exactly and case-sensitively; a prefix glob needs its trailing *', () => {
    const env = { Path: 'C:\\Windows', LC_ALL: 'C', LCX: 'no', LC_: 'yes' };
    assert.deepEqual(scrubEnvironment(env, ['PATH', 'LC_*']).kept, { LC_: 'yes', LC_ALL: 'C' });
    assert.deepEqual(scrubEnvironment(env, ['LC']).kept, {});
  });

  it('rejects allowlist entries that are not a name or a PREFIX_* pattern', () => {
    for (const entry of ['*', '', 'A*B', '**', 'FOO=bar', '*_TOKEN'])
      assert.throws(
        () => scrubEnvironment(ENV, ['HOME', entry]),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message ===
            `environment allowlist entry ${JSON.stringify(entry)} is not a variable name or a prefix pattern: expected a name such as NODE_ENV, or a prefix and one trailing * such as LC_*`,
      );
  });
});
