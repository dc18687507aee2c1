import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildBundle, type BuiltBundle } from '../../../src/context/build-bundle.ts';
import { decodeBundle, encodeBundle } from '../../../src/context/bundle-codec.ts';
import { fakeSecrets, Draw } from './fake-secrets.ts';
import { git, makeRepo, needsGit, removeTemp, tempDir, writeFiles } from './git-fixture.ts';

/**
 * Fake secrets planted everywhere a bundle reads from: the diff (a .env file, a private key in
 * an ordinary file, key files by name, a binary file holding a token), shared files, the
 * environment, the notes, the remote URL. None may reach the encoded bytes, and the summary
 * must say what was held back, and where.
 */

const keys = fakeSecrets(41);
const draw = new Draw(42);
const password = draw.chars(18);
const dbPassword = draw.chars(16);
const remotePassword = draw.chars(14);
const pemBody = keys.rsaPem.split('\n').filter((line) => !line.startsWith('-----'));
const secrets = [
  keys.awsKeyId,
  keys.awsSecret,
  keys.githubClassic,
  password,
  dbPassword,
  remotePassword,
  ...pemBody,
];

/** Bytes that are binary to git (NUL bytes) with a token in the middle. */
const binaryWithToken = Buffer.concat([
  Buffer.from([0, 1, 2, 3, 0]),
  Buffer.from(` ${keys.githubClassic} `),
  Buffer.from([0, 255, 0]),
]);

describe('share-context keeps planted secrets out', { skip: needsGit }, () => {
  let tmp = '';
  let built: BuiltBundle;
  let encoded = '';

  before(async () => {
    tmp = tempDir();
    makeRepo(tmp, { 'README.md': '# app\n', 'config/app.yml': 'port: 8080\n' });
    git(tmp, 'remote', 'add', 'origin', `https://dev:${remotePassword}@git.example.com/app.git`);
    writeFiles(tmp, {
      '.env': `AWS_ACCESS_KEY_ID=${keys.awsKeyId}\nAWS_SECRET_ACCESS_KEY=${keys.awsSecret}\nGITHUB_TOKEN=${keys.githubClassic}\n`,
      'config/app.yml': `port: 8080\ndb:\n  password: "${password}"\n`,
      'keys/deploy.txt': `${keys.rsaPem}\n`,
      'keys/id_rsa': `${keys.rsaPem}\n`,
      'keys/server.pem': `${keys.rsaPem}\n`,
      'blob.bin': binaryWithToken,
      'shared.txt': `token ${keys.githubClassic}\nDB_PASSWORD=${dbPassword}\n`,
      'shared.bin': binaryWithToken,
      'plain.bin': Buffer.from([0, 1, 2, 3]),
    });
    built = await buildBundle({
      cwd: tmp,
      git: {},
      files: ['shared.*', 'plain.bin', 'keys/*'],
      env: {
        allow: ['DB_PASSWORD', 'LANG'],
        values: { DB_PASSWORD: dbPassword, LANG: 'en_US.UTF-8', GITHUB_TOKEN: keys.githubClassic },
      },
      notes: `tried it with ${keys.githubClassic}, no luck`,
      title: 'deploy fails',
    });
    const { bytes } = encodeBundle(built.bundle);
    encoded = Buffer.from(bytes).toString('utf8');
  });
  after(() => {
    removeTemp(tmp);
  });

  it('no secret appears in the encoded bundle, its diff or its files', () => {
    const { bundle } = built;
    const diff = Buffer.from(bundle.git?.diff.data ?? '', 'utf8').toString('utf8');
    const contents = bundle.files.map((f) => Buffer.from(f.content, f.encoding).toString('latin1'));
    for (const secret of secrets)
      for (const where of [encoded, diff, ...contents])
        assert.ok(!where.includes(secret), `a secret starting ${secret.slice(0, 4)}… leaked`);
  });

  it('keeps what carries no secret', () => {
    const { bundle } = built;
    assert.equal(bundle.git?.remote, 'https://git.example.com/app.git');
    assert.deepEqual(bundle.env?.vars, { LANG: 'en_US.UTF-8' });
    assert.deepEqual(
      bundle.files.map((f) => [f.path, f.encoding]),
      [
        ['shared.txt', 'utf8'],
        ['plain.bin', 'base64'],
        ['keys/deploy.txt', 'utf8'],
      ],
    );
    assert.equal(bundle.title, 'deploy fails');
    assert.equal(bundle.notes, 'tried it with [REDACTED:github-token], no luck');
    const diff = bundle.git?.diff.data ?? '';
    assert.match(diff, /^\+AWS_ACCESS_KEY_ID=\[REDACTED:aws-access-key-id\]$/m);
    assert.match(diff, /^\+ {2}password: "\[REDACTED:secret-assignment\]"$/m);
    assert.doesNotMatch(diff, /id_rsa|server\.pem|blob\.bin/);
  });

  it('says what it held back, and where', () => {
    assert.deepEqual(built.summary, [
      'removed the user and password from the git remote URL',
      'left blob.bin out of the diff (its binary content holds a GitHub token, which cannot be redacted in place)',
      'left keys/id_rsa out of the diff (key material, by its name)',
      'left keys/server.pem out of the diff (key material, by its name)',
      'left shared.bin out of the diff (its binary content holds a GitHub token, which cannot be redacted in place)',
      'redacted an AWS access key id (AWS_ACCESS_KEY_ID) in the diff of .env line 1',
      'redacted an AWS secret access key (AWS_SECRET_ACCESS_KEY) in the diff of .env line 2',
      'redacted a GitHub token (GITHUB_TOKEN) in the diff of .env line 3',
      'redacted the value of password in the diff of config/app.yml line 3',
      `redacted a private key in the diff of keys/deploy.txt lines 1–${String(pemBody.length + 2)}`,
      'redacted a GitHub token in the diff of shared.txt line 1',
      'redacted the value of DB_PASSWORD in the diff of shared.txt line 2',
      'withheld shared.bin (its binary content holds a GitHub token, which cannot be redacted in place)',
      'redacted a GitHub token in shared.txt line 1',
      'redacted the value of DB_PASSWORD in shared.txt line 2',
      `redacted a private key in keys/deploy.txt lines 1–${String(pemBody.length + 2)}`,
      'withheld keys/id_rsa (key material, by its name)',
      'withheld keys/server.pem (key material, by its name)',
      'withheld DB_PASSWORD (secret-looking name)',
      'redacted a GitHub token in the notes line 1',
    ]);
  });

  it('round-trips the withheld list through encoding', () => {
    const { bytes, sha256 } = encodeBundle(built.bundle);
    assert.deepEqual(decodeBundle(bytes, sha256).withheld, built.bundle.withheld);
  });
});
