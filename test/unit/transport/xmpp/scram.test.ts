import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError } from '../../../../src/errors.ts';
import { ScramClient, pickScramMechanism } from '../../../../src/transport/xmpp/scram.ts';

test('RFC 5802 §5 SCRAM-SHA-1 example: proof and server signature', () => {
  const c = new ScramClient({
    hash: 'SHA-1',
    username: 'user',
    password: 'pencil',
    clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
  });
  assert.equal(c.clientFirst(), 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
  const final = c.clientFinal(
    'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
  );
  assert.equal(
    final,
    'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
  );
  c.verifyServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
});

test('RFC 7677 §3 SCRAM-SHA-256 example', () => {
  const c = new ScramClient({
    hash: 'SHA-256',
    username: 'user',
    password: 'pencil',
    clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  });
  const final = c.clientFinal(
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  );
  assert.equal(
    final,
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  );
  c.verifyServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
});

const condition = (expected: string) => (e: unknown) =>
  e instanceof AuthError && e.detail.condition === expected;

test('a server that does not know the password is refused', () => {
  const c = new ScramClient({
    hash: 'SHA-1',
    username: 'user',
    password: 'pencil',
    clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
  });
  c.clientFinal('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
  assert.throws(
    () => {
      c.verifyServerFinal('v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    },
    (e: unknown) =>
      condition('invalid-server-signature')(e) && /man-in-the-middle/.test((e as Error).message),
  );
  assert.throws(() => {
    c.verifyServerFinal('e=invalid-proof');
  }, condition('invalid-proof'));
});

test('forged nonces, weak iteration counts and bad salts are refused before any proof is sent', () => {
  const c = () =>
    new ScramClient({ hash: 'SHA-1', username: 'user', password: 'pencil', clientNonce: 'abc' });
  assert.throws(
    () => c().clientFinal('r=zzz123,s=QSXCR+Q6sek8bf92,i=4096'),
    condition('invalid-nonce'),
  );
  assert.throws(
    () => c().clientFinal('r=abc,s=QSXCR+Q6sek8bf92,i=4096'),
    condition('invalid-nonce'),
  );
  assert.throws(
    () => c().clientFinal('r=abc123,s=QSXCR+Q6sek8bf92,i=10'),
    condition('weak-iterations'),
  );
  assert.throws(() => c().clientFinal('r=abc123,s=not base64!,i=4096'), condition('invalid-salt'));
});

test('user names escape = and , (RFC 5802 §5.1)', () => {
  const c = new ScramClient({ hash: 'SHA-1', username: 'a=b,c', password: 'x', clientNonce: 'n' });
  assert.equal(c.clientFirst(), 'n,,n=a=3Db=2Cc,r=n');
});

test('prefers SCRAM-SHA-256, never -PLUS, nothing else', () => {
  assert.equal(pickScramMechanism(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256']), 'SCRAM-SHA-256');
  assert.equal(pickScramMechanism(['SCRAM-SHA-1-PLUS', 'SCRAM-SHA-1']), 'SCRAM-SHA-1');
  assert.equal(pickScramMechanism(['PLAIN', 'SCRAM-SHA-1-PLUS']), undefined);
});
