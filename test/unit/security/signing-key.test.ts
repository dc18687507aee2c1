import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, verify } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, describe, it } from 'node:test';
import { ConfigError, UsageError } from '../../../src/errors.ts';
import {
  SIGNING_KEY_FILE,
  fingerprintOf,
  generateSigningKey,
  isPublicRaw,
  loadOrCreateSigningKey,
  publicKeyFromRaw,
  publicRawOf,
} from '../../../src/security/signing-key.ts';

const root = mkdtempSync(join(tmpdir(), 'mx-signing-key-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
let count = 0;
const freshDir = (): string => join(root, `config-${String((count += 1))}`, 'mx-agent');
const mode = (path: string): number => statSync(path).mode & 0o777;
const MODULE = new URL('../../../src/security/signing-key.ts', import.meta.url).href;

describe('signing key', () => {
  it('is created on first use as PKCS#8 PEM, mode 0600 in a 0700 directory, and kept', () => {
    const dir = freshDir();
    const key = loadOrCreateSigningKey(dir);
    const file = join(dir, SIGNING_KEY_FILE);
    assert.equal(mode(file), 0o600);
    assert.equal(mode(dir), 0o700);
    assert.match(
      readFileSync(file, 'utf8'),
      /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/,
    );
    assert.equal(
      loadOrCreateSigningKey(dir).fingerprint,
      key.fingerprint,
      'the same key next time',
    );
  });

  it('signs with Ed25519, verifiable with its public key', () => {
    const key = generateSigningKey();
    const data = Buffer.from('hello');
    assert.ok(verify(null, data, key.publicKey, key.sign(data)));
    assert.equal(key.publicKey.asymmetricKeyType, 'ed25519');
  });

  it('refuses a key file other users may read, naming the file and the chmod to run', () => {
    const dir = freshDir();
    loadOrCreateSigningKey(dir);
    const file = join(dir, SIGNING_KEY_FILE);
    chmodSync(file, 0o644);
    assert.throws(
      () => loadOrCreateSigningKey(dir),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message ===
          `the signing key ${file} has mode 0644, so other users may read or change it; make it private with \`chmod 600 ${file}\``,
    );
  });

  it('refuses a key file that is not an Ed25519 private key, without quoting it', () => {
    const dir = freshDir();
    loadOrCreateSigningKey(dir);
    const file = join(dir, SIGNING_KEY_FILE);
    writeFileSync(file, 'not a key at all: SECRET-CONTENT\n', { mode: 0o600 });
    assert.throws(
      () => loadOrCreateSigningKey(dir),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.startsWith(`the signing key ${file} is not a readable PEM private key`) &&
        !error.message.includes('SECRET-CONTENT'),
    );
  });

  it('never shows the private key: JSON and inspect give the public half only', () => {
    const dir = freshDir();
    const key = loadOrCreateSigningKey(dir);
    const pem = readFileSync(join(dir, SIGNING_KEY_FILE), 'utf8');
    const secret = pem.split('\n')[1] ?? '';
    assert.ok(secret.length > 20);
    assert.deepEqual(JSON.parse(JSON.stringify(key)), {
      publicRaw: key.publicRaw,
      fingerprint: key.fingerprint,
    });
    const shown = inspect(key, { showHidden: true, depth: 5 });
    assert.ok(!shown.includes(secret) && !/PRIVATE/i.test(shown), shown);
  });

  it('has an OpenSSH-style fingerprint: SHA256: and base64url of the raw key digest', () => {
    const key = generateSigningKey();
    const raw = Buffer.from(key.publicRaw.slice('ed25519:'.length), 'base64url');
    assert.equal(raw.length, 32);
    const digest = createHash('sha256').update(raw).digest('base64url');
    assert.equal(key.fingerprint, `SHA256:${digest}`);
    assert.match(key.fingerprint, /^SHA256:[A-Za-z0-9_-]{43}$/);
    assert.equal(fingerprintOf(key.publicKey), key.fingerprint);
  });

  it('writes the public key as ed25519:base64url and reads it back', () => {
    const key = generateSigningKey();
    assert.match(key.publicRaw, /^ed25519:[A-Za-z0-9_-]{43}$/);
    assert.equal(publicRawOf(key.publicKey), key.publicRaw);
    assert.equal(fingerprintOf(publicKeyFromRaw(key.publicRaw)), key.fingerprint);
    assert.ok(isPublicRaw(key.publicRaw));
    for (const bad of ['', key.publicRaw.slice(8), `ed25519:${'A'.repeat(42)}`, 'rsa:abc'])
      assert.throws(() => publicKeyFromRaw(bad), UsageError, bad);
  });

  it('is the same key for two processes creating it at once', async () => {
    const dir = freshDir();
    const script = `import { loadOrCreateSigningKey } from ${JSON.stringify(MODULE)};
      console.log(loadOrCreateSigningKey(${JSON.stringify(dir)}).fingerprint);`;
    const run = async (): Promise<string> => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
      let out = '';
      child.stdout.on('data', (data: Buffer) => (out += data.toString()));
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 0);
      return out.trim();
    };
    const [one, two] = await Promise.all([run(), run()]);
    assert.equal(one, two);
    assert.equal(loadOrCreateSigningKey(dir).fingerprint, one);
  });
});
