import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeSecrets } from './fake-secrets.ts';
import { assertUntouched, found, scrubbed } from './scrub-assert.ts';

const s = fakeSecrets(3);
const MARK = '[REDACTED:private-key]';

/** The base64 body lines of a PEM block: every one must be gone from the output. */
function bodyLines(pem: string): string[] {
  return pem.split('\n').filter((line) => !line.startsWith('-----') && line.length >= 16);
}

/** Asserts the PEM's body is gone, in one piece and line by line. */
function scrubbedKey(input: string, pem: string) {
  return scrubbed(input, pem, ...bodyLines(pem));
}

describe('PEM private key blocks', () => {
  for (const [label, pem] of [
    ['RSA (PKCS#1)', s.rsaPem],
    ['EC (SEC 1)', s.ecPem],
    ['PKCS#8', s.pkcs8Pem],
    ['encrypted PKCS#8', s.encryptedPem],
    ['OpenSSH', s.opensshPem],
  ] as const)
    it(`redacts a whole ${label} key file, one marker per line`, () => {
      const input = `${pem}\n`;
      const result = scrubbedKey(input, pem);
      const lines = pem.split('\n').length;
      assert.equal(result.text, `${Array.from({ length: lines }, () => MARK).join('\n')}\n`);
      assert.deepEqual(result.redactions, [
        { type: 'redacted', kind: 'private-key', line: 1, column: 1, endLine: lines },
      ]);
    });

  it('catches a key added in a git diff, keeping every `+` so the hunk still applies', () => {
    const added = s.rsaPem.split('\n').map((line) => `+${line}`);
    const diff = [
      'diff --git a/deploy/id_rsa b/deploy/id_rsa',
      'new file mode 100600',
      'index 0000000..3b18e51',
      '--- /dev/null',
      '+++ b/deploy/id_rsa',
      `@@ -0,0 +1,${String(added.length)} @@`,
      ...added,
      'diff --git a/README.md b/README.md',
      '@@ -1 +1 @@',
      '-old',
      '+new',
    ].join('\n');
    const result = scrubbedKey(diff, s.rsaPem);
    const out = result.text.split('\n');
    assert.deepEqual(
      out.slice(6, 6 + added.length),
      added.map(() => `+${MARK}`),
    );
    assert.deepEqual(out.slice(0, 6), diff.split('\n').slice(0, 6));
    assert.deepEqual(out.slice(6 + added.length), [
      'diff --git a/README.md b/README.md',
      '@@ -1 +1 @@',
      '-old',
      '+new',
    ]);
    assert.deepEqual(found(result), ['private-key@7']);
    assert.equal(result.redactions[0]?.endLine, 6 + added.length);
  });

  it('redacts a key in a YAML block scalar, keeping the indentation and the next key', () => {
    const yaml = `tls:\n  key: |\n${s.ecPem
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n')}\n  port: 443\n`;
    const result = scrubbedKey(yaml, s.ecPem);
    const out = result.text.split('\n');
    assert.deepEqual(out.slice(0, 2), ['tls:', '  key: |']);
    assert.ok(out.slice(2, -2).every((line) => line === `    ${MARK}`));
    assert.deepEqual(out.slice(-2), ['  port: 443', '']);
  });

  it('redacts a key written on one line with \\n escapes, as in a service-account JSON', () => {
    const escaped = `${s.pkcs8Pem.replaceAll('\n', '\\n')}\\n`;
    const json = `{\n  "type": "service_account",\n  "private_key": "${escaped}",\n  "client_email": "ci@project.iam.gserviceaccount.com"\n}`;
    const result = scrubbedKey(json, s.pkcs8Pem);
    assert.equal(result.text.split('\n')[2], `  "private_key": "${MARK}",`);
    assert.deepEqual(found(result), ['private-key@3:private_key']);
  });

  it('redacts a key in a template literal and keeps the code around it', () => {
    const code = `const key = \`${s.pkcs8Pem}\`;\nexport default key;`;
    const result = scrubbedKey(code, s.pkcs8Pem);
    const out = result.text.split('\n');
    assert.equal(out[0], `const key = \`${MARK}`);
    assert.equal(out.at(-2), `${MARK}\`;`);
    assert.equal(out.at(-1), 'export default key;');
  });

  it('ends a block without END at the first line that is not key material', () => {
    const truncated = s.rsaPem.split('\n').slice(0, 4).join('\n');
    const input = `${truncated}\n\n# the rest of my notes\nssh deploy@host`;
    const result = scrubbedKey(input, truncated);
    assert.deepEqual(result.text.split('\n'), [
      MARK,
      MARK,
      MARK,
      MARK,
      '',
      '# the rest of my notes',
      'ssh deploy@host',
    ]);
    assert.equal(result.redactions[0]?.endLine, 4);
  });

  it('leaves a BEGIN line without key material alone (documentation, a parser)', () => {
    assertUntouched(
      "const HEADER = '-----BEGIN PRIVATE KEY-----';\nconst FOOTER = '-----END PRIVATE KEY-----';",
    );
    assertUntouched('Paste it between -----BEGIN RSA PRIVATE KEY----- and ...\n\nthen save.');
    assertUntouched(
      `-----BEGIN CERTIFICATE-----\n${'MIIBszCCAVmgAwIBAgIU'.repeat(3)}\n-----END CERTIFICATE-----`,
    );
  });

  it('keeps text after END on the same line, and finds two keys in a row', () => {
    const input = `${s.ecPem} # deploy key\n${s.pkcs8Pem}`;
    const result = scrubbedKey(input, s.ecPem);
    assert.equal(result.text.split('\n')[s.ecPem.split('\n').length - 1], `${MARK} # deploy key`);
    assert.deepEqual(
      result.redactions.map((r) => r.line),
      [1, s.ecPem.split('\n').length + 1],
    );
  });
});
