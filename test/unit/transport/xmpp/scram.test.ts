import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError } from '../../../../src/errors.ts';
import {
  SCRAM_MECHANISMS,
  ScramClient,
  pickScramMechanism,
  type ScramHash,
} from '../../../../src/transport/xmpp/scram.ts';

// RFC 5802 §5 (SHA-1) and RFC 7677 §3 (SHA-256) example exchanges, user "user", password "pencil".
const RFC_5802 = {
  hash: 'SHA-1',
  nonce: 'fyko+d2lbbFgONRv9qkxdawL',
  serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
  clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
  serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
} as const;
const RFC_7677 = {
  hash: 'SHA-256',
  nonce: 'rOprNGfwEbeRWgbNEkqO',
  serverFirst:
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
} as const;

const client = (hash: ScramHash, clientNonce: string, username = 'user'): ScramClient =>
  new ScramClient({ hash, username, password: 'pencil', clientNonce });

/** An AuthError with this protocol condition and exactly this message. */
const scramError =
  (condition: string, message: string) =>
  (error: unknown): boolean => {
    assert.ok(error instanceof AuthError, `expected an AuthError, got ${String(error)}`);
    assert.equal(error.detail.condition, condition);
    assert.equal(error.message, message);
    assert.ok(!error.message.includes('pencil'), 'the password must never appear in a message');
    return true;
  };

for (const example of [RFC_5802, RFC_7677]) {
  test(`${example.hash === 'SHA-1' ? 'RFC 5802 §5' : 'RFC 7677 §3'} SCRAM-${example.hash} example: proof and server signature`, () => {
    const c = client(example.hash, example.nonce);
    assert.equal(c.clientFirst(), `n,,n=user,r=${example.nonce}`);
    assert.equal(c.clientFinal(example.serverFirst), example.clientFinal);
    assert.doesNotThrow(() => {
      c.verifyServerFinal(example.serverFinal);
    });
  });
}

test('a forged server signature is refused: the server does not know the password', () => {
  const forged = client('SHA-256', RFC_7677.nonce);
  forged.clientFinal(RFC_7677.serverFirst);
  assert.throws(
    () => {
      forged.verifyServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='); // right for SHA-1, wrong here
    },
    scramError(
      'invalid-server-signature',
      "SCRAM: the server's signature does not match: it does not know your password (possible man-in-the-middle)",
    ),
  );
  // Same length, one bit off: only the constant-time comparison can catch it.
  const oneBitOff = client('SHA-1', RFC_5802.nonce);
  oneBitOff.clientFinal(RFC_5802.serverFirst);
  assert.throws(() => {
    oneBitOff.verifyServerFinal('v=rmF8pqV8S7suAoZWja4dJRkFsKQ='); // rmF9 -> rmF8
  }, /does not match/);
});

test('a server that knows a different password is refused', () => {
  const c = new ScramClient({
    hash: 'SHA-1',
    username: 'user',
    password: 'not-pencil',
    clientNonce: RFC_5802.nonce,
  });
  assert.notEqual(c.clientFinal(RFC_5802.serverFirst), RFC_5802.clientFinal);
  assert.throws(() => {
    c.verifyServerFinal(RFC_5802.serverFinal);
  }, /it does not know your password/);
});

test('e=invalid-proof is reported with the server condition', () => {
  const c = client('SHA-1', RFC_5802.nonce);
  c.clientFinal(RFC_5802.serverFirst);
  assert.throws(
    () => {
      c.verifyServerFinal('e=invalid-proof');
    },
    scramError(
      'invalid-proof',
      'SCRAM: the server rejected the login ("invalid-proof"); check the user name and password',
    ),
  );
});

test('a server-final without v= or e=, or before client-final, is refused', () => {
  const c = client('SHA-1', RFC_5802.nonce);
  assert.throws(
    () => {
      c.verifyServerFinal(RFC_5802.serverFinal);
    },
    scramError(
      'out-of-order',
      'SCRAM: got the server signature before we sent our proof (server-final before client-final)',
    ),
  );
  c.clientFinal(RFC_5802.serverFirst);
  assert.throws(
    () => {
      c.verifyServerFinal('x=whatever');
    },
    scramError(
      'invalid-server-final',
      'SCRAM: expected a server-final message with v= or e=, got "x=whatever"',
    ),
  );
});

test('a server nonce that does not extend ours is refused before any proof is sent', () => {
  assert.throws(
    () => client('SHA-1', 'abc').clientFinal('r=zzz123,s=QSXCR+Q6sek8bf92,i=4096'),
    scramError(
      'invalid-nonce',
      'SCRAM: expected the server nonce to extend ours ("abc"), got "zzz123"',
    ),
  );
  // Echoing our nonce without adding its own part is a replay, too.
  assert.throws(
    () => client('SHA-1', 'abc').clientFinal('r=abc,s=QSXCR+Q6sek8bf92,i=4096'),
    /expected the server nonce to extend ours \("abc"\), got "abc"/,
  );
});

test('a low or malformed iteration count is refused', () => {
  assert.throws(
    () => client('SHA-1', 'abc').clientFinal('r=abc123,s=QSXCR+Q6sek8bf92,i=4095'),
    scramError(
      'weak-iterations',
      'SCRAM: expected an iteration count of at least 4096 from the server, got "4095" (a weak password hash makes the exchange easy to brute-force)',
    ),
  );
  // RFC 5802 §7: posit-number is plain decimal; Number() would accept these.
  for (const i of ['0x1000', '1e4', ' 4096', '4096.0', '']) {
    assert.throws(
      () => client('SHA-1', 'abc').clientFinal(`r=abc123,s=QSXCR+Q6sek8bf92,i=${i}`),
      /expected an iteration count of at least 4096/,
      `i=${i}`,
    );
  }
  const lenient = new ScramClient({
    hash: 'SHA-1',
    username: 'user',
    password: 'pencil',
    clientNonce: 'abc',
    minIterations: 1,
  });
  assert.match(lenient.clientFinal('r=abc123,s=QSXCR+Q6sek8bf92,i=1'), /^c=biws,r=abc123,p=/);
});

test('a salt that is not base64, or a mandatory extension, is refused', () => {
  assert.throws(
    () => client('SHA-1', 'abc').clientFinal('r=abc123,s=not base64!,i=4096'),
    scramError('invalid-salt', 'SCRAM: expected a base64 salt from the server, got "not base64!"'),
  );
  assert.throws(
    () => client('SHA-1', 'abc').clientFinal('m=ext,r=abc123,s=QSXCR+Q6sek8bf92,i=4096'),
    scramError(
      'extensions-not-supported',
      'SCRAM: the server requires an extension we do not support ("m=ext")',
    ),
  );
});

test('user names escape = and , (RFC 5802 §5.1)', () => {
  assert.equal(client('SHA-1', 'n', 'a=b,c').clientFirst(), 'n,,n=a=3Db=2Cc,r=n');
  assert.equal(client('SHA-1', 'n', '=2C').clientFirst(), 'n,,n==3D2C,r=n');
});

test('without a test nonce, each exchange gets a fresh 24-byte base64 nonce', () => {
  const first = () =>
    new ScramClient({ hash: 'SHA-256', username: 'u', password: 'p' }).clientFirst();
  const nonce = /^n,,n=u,r=([A-Za-z0-9+/]{32})$/;
  assert.match(first(), nonce);
  assert.notEqual(first().match(nonce)?.[1], first().match(nonce)?.[1]);
});

test('prefers SCRAM-SHA-256, never -PLUS, nothing else', () => {
  assert.equal(pickScramMechanism(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256']), 'SCRAM-SHA-256');
  assert.equal(pickScramMechanism(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1']), 'SCRAM-SHA-1');
  assert.equal(pickScramMechanism(['PLAIN', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256-PLUS']), undefined);
  assert.equal(pickScramMechanism([]), undefined);
  assert.deepEqual(SCRAM_MECHANISMS, { 'SCRAM-SHA-256': 'SHA-256', 'SCRAM-SHA-1': 'SHA-1' });
});

test('an absurd iteration count is refused instead of blocking the process', () => {
  const c = new ScramClient({
    hash: 'SHA-1',
    username: 'user',
    password: 'pencil',
    clientNonce: 'abc',
  });
  assert.throws(
    () => c.clientFinal('r=abc123,s=QSXCR+Q6sek8bf92,i=2000000000'),
    (e: unknown) => e instanceof AuthError && e.detail.condition === 'excessive-iterations',
  );
});
