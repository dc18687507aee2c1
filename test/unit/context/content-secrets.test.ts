import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKeyMaterialName, secretKindIn } from '../../../src/context/content-secrets.ts';
import { stripCredentials } from '../../../src/context/git-remote.ts';
import { sharedPathProblem } from '../../../src/context/shared-paths.ts';
import { fakeSecrets } from './fake-secrets.ts';

/** Names that mark key material, secrets in binary content, credentials in remote URLs. */

describe('isKeyMaterialName', () => {
  it('knows SSH identities, key containers and password files, not public keys', () => {
    for (const path of [
      'id_rsa',
      '.ssh/id_ed25519',
      'certs/server.PEM',
      'tls.key',
      'a.p12',
      'b.pfx',
      '.netrc',
      'home/.pgpass',
    ])
      assert.equal(isKeyMaterialName(path), true, path);
    for (const path of ['id_rsa.pub', 'keys.ts', 'key', 'monkey.txt', 'pem', 'netrc.md'])
      assert.equal(isKeyMaterialName(path), false, path);
  });
});

describe('secretKindIn', () => {
  it('finds a token inside binary bytes, the most specific kind first', () => {
    const keys = fakeSecrets(9);
    const bytes = Buffer.concat([
      Buffer.from([0, 255, 0]),
      Buffer.from(`GITHUB_TOKEN=${keys.githubClassic}`),
      Buffer.from([0]),
    ]);
    assert.equal(secretKindIn(bytes), 'github-token');
    assert.equal(secretKindIn(Uint8Array.from({ length: 256 }, (_, i) => i)), undefined);
  });
});

describe('stripCredentials', () => {
  it('takes user and password off http(s) URLs, and passwords off ssh URLs', () => {
    const cases: [string, string, boolean][] = [
      ['https://user:pass@github.com/o/r.git', 'https://github.com/o/r.git', true],
      ['https://ghp_token@github.com/o/r.git', 'https://github.com/o/r.git', true],
      ['https://a:b@c@host/r', 'https://host/r', true],
      ['ssh://git@github.com/o/r.git', 'ssh://git@github.com/o/r.git', false],
      ['ssh://git:pw@host/r', 'ssh://git@host/r', true],
      ['git@github.com:o/r.git', 'git@github.com:o/r.git', false],
      ['https://github.com/o/r.git', 'https://github.com/o/r.git', false],
      ['/srv/git/r.git', '/srv/git/r.git', false],
    ];
    for (const [url, stripped, changed] of cases)
      assert.deepEqual(stripCredentials(url), { url: stripped, stripped: changed }, url);
  });
});

describe('sharedPathProblem', () => {
  it('accepts relative POSIX paths that stay inside', () => {
    for (const path of ['a', 'a/b.txt', '.env', 'dir/..x'])
      assert.equal(sharedPathProblem(path), undefined, path);
  });

  it('refuses paths that could leave the directory', () => {
    for (const path of ['', '/abs', 'C:/x', 'a\\b', 'a/../b', '..', './a', 'a//b', 'a/', 'nul\0'])
      assert.notEqual(sharedPathProblem(path), undefined, JSON.stringify(path));
  });
});
