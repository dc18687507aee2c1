import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubDiff } from '../../../src/context/diff-scrub.ts';
import { fakeSecrets } from './fake-secrets.ts';

/**
 * The scrubber over a patch: each redaction placed in its file and line, binary sections left
 * byte for byte, a latin1 patch scrubbed without disturbing its other bytes.
 */

const keys = fakeSecrets(77);

const patch = [
  'diff --git a/config/app.env b/config/app.env',
  'index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644',
  '--- a/config/app.env',
  '+++ b/config/app.env',
  '@@ -10,4 +10,4 @@ section',
  ' PORT=80',
  `-GITHUB_TOKEN=${keys.githubOauth}`,
  `+GITHUB_TOKEN=${keys.githubClassic}`,
  ' HOST=x',
  ' MODE=y',
  'diff --git a/with space.txt b/with space.txt',
  'new file mode 100644',
  'index 0000000000000000000000000000000000000000..3333333333333333333333333333333333333333',
  '--- /dev/null',
  '+++ b/with space.txt\t',
  '@@ -0,0 +1,2 @@',
  '+hello',
  `+key ${keys.awsKeyId}`,
  'diff --git a/blob.bin b/blob.bin',
  'new file mode 100644',
  'index 0000000000000000000000000000000000000000..4444444444444444444444444444444444444444',
  'GIT binary patch',
  'literal 5',
  'McmZQzWMXDw0000B00RI3',
  '',
  'literal 0',
  'HcmV?d00001',
  '',
  '',
].join('\n');

describe('scrubDiff', () => {
  it('places each redaction in its file, on the side it was', () => {
    const { diff, redactions } = scrubDiff(Buffer.from(patch));
    assert.equal(diff.encoding, 'utf8');
    assert.ok(!diff.data.includes(keys.githubClassic) && !diff.data.includes(keys.awsKeyId));
    assert.equal(diff.data.split('\n').length, patch.split('\n').length);
    assert.equal(diff.bytes, Buffer.byteLength(diff.data));
    assert.deepEqual(
      redactions.map((r) => [r.path, r.kind, r.line, r.column]),
      [
        ['config/app.env', 'github-token', 11, 14],
        ['config/app.env', 'github-token', 11, 14],
        ['with space.txt', 'aws-access-key-id', 2, 5],
      ],
    );
    assert.ok(diff.data.endsWith(patch.slice(patch.indexOf('diff --git a/blob.bin'))));
  });

  it('leaves a patch without secrets byte-identical', () => {
    const clean = patch.slice(patch.indexOf('diff --git a/blob.bin'));
    const { diff, redactions } = scrubDiff(Buffer.from(clean));
    assert.deepEqual(redactions, []);
    assert.equal(diff.data, clean);
  });

  it('scrubs a latin1 patch in place and sends it as base64', () => {
    const latin1 = Buffer.concat([
      Buffer.from('diff --git a/l.txt b/l.txt\n--- a/l.txt\n+++ b/l.txt\n@@ -1 +1 @@\n-caf'),
      Buffer.from([0xe9]),
      Buffer.from(`\n+caf`),
      Buffer.from([0xe9]),
      Buffer.from(` ${keys.githubClassic}\n`),
    ]);
    const { diff, redactions } = scrubDiff(latin1);
    assert.equal(diff.encoding, 'base64');
    const bytes = Buffer.from(diff.data, 'base64');
    assert.equal(bytes.length, diff.bytes);
    assert.deepEqual(
      bytes,
      Buffer.concat([
        latin1.subarray(0, latin1.indexOf(' ghp_') + 1),
        Buffer.from('[REDACTED:github-token]\n'),
      ]),
    );
    assert.deepEqual(
      redactions.map((r) => [r.path, r.line]),
      [['l.txt', 1]],
    );
  });

  it('marks a secret in a header line (a path) as such, binary sections too', () => {
    const header = `diff --git a/${keys.githubClassic} b/${keys.githubClassic}\nnew file mode 100644\nGIT binary patch\nliteral 5\nMcmZQzWMXDw0000B00RI3\n`;
    const { diff, redactions } = scrubDiff(Buffer.from(header));
    assert.equal(
      diff.data,
      'diff --git a/[REDACTED:github-token] b/[REDACTED:github-token]\nnew file mode 100644\nGIT binary patch\nliteral 5\nMcmZQzWMXDw0000B00RI3\n',
    );
    assert.deepEqual(
      redactions.map((r) => [r.path, r.line, r.header]),
      [
        ['[REDACTED:github-token]', 1, true],
        ['[REDACTED:github-token]', 1, true],
      ],
    );
  });
});
