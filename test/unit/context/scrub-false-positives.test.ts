import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubText } from '../../../src/context/scrub.ts';
import {
  base64ImageFixture,
  CONFIG_FILES,
  gitLog,
  lockfileDiff,
  ordinaryTypeScript,
  packageLock,
  uuidFixture,
} from './corpus.ts';
import { assertUntouched } from './scrub-assert.ts';

describe('ordinary text comes back byte-identical', () => {
  it('a few hundred lines of TypeScript that handles tokens, passwords and keys', () => {
    const code = ordinaryTypeScript();
    assert.ok(code.split('\n').length > 250);
    assertUntouched(code);
  });

  it('a package-lock.json with sha512 integrity hashes and git commit ids', () => {
    const lock = packageLock(1);
    assert.match(lock, /"integrity": "sha512-[A-Za-z0-9+/]{86}=="/);
    assert.match(lock, /\.git#[0-9a-f]{40}"/);
    assertUntouched(lock);
  });

  it('a diff of that lockfile, so that it still applies', () => {
    const diff = lockfileDiff(packageLock(1), packageLock(2));
    assert.ok(
      diff.includes('\n-      "integrity": "sha512-') && diff.includes('\n+      "integrity"'),
    );
    assertUntouched(diff);
  });

  it('git log output, UUIDs, and base64 image data in a test fixture', () => {
    assertUntouched(gitLog(3));
    assertUntouched(uuidFixture());
    assertUntouched(base64ImageFixture(4));
    assertUntouched(base64ImageFixture(5));
  });

  it('CI, compose and shell files and a README that only reference secrets', () => {
    assertUntouched(CONFIG_FILES);
  });

  it('keeps CRLF line ends, a missing final newline and empty text as they were', () => {
    const crlf = ordinaryTypeScript().replaceAll('\n', '\r\n');
    assertUntouched(crlf);
    assertUntouched('no newline at the end');
    assertUntouched('');
    assertUntouched('\n\n\r\n');
  });

  it('scrubbing scrubbed text changes nothing and finds nothing', () => {
    const once = scrubText(
      'DB_PASSWORD=' +
        'hunter2hunter2\npostgres://app:' +
        'pa55w0rd@db/app\ntoken: "' +
        'ghp_' +
        'Ab1'.repeat(12) +
        '"\n',
    );
    assert.equal(once.redactions.length, 3);
    assertUntouched(once.text);
  });
});
