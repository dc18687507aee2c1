import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLoginRequest } from '../../../../src/cli/commands/login-request.ts';
import { UsageError } from '../../../../src/errors.ts';

function usageError(run: () => unknown, message: string | RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('a client login is named after the bare JID and defaults to STARTTLS', () => {
  const r = parseLoginRequest({ jid: 'alice@Example.org', passwordStdin: true }, undefined);
  assert.deepEqual(r, {
    account: { mode: 'client', jid: 'alice@example.org', tls: 'starttls' },
    id: 'alice@example.org',
    secretFromStdin: true,
    warnings: [],
    profileName: 'alice@example.org',
    makeDefault: false,
  });
});

test('the global --profile names the profile; a bad name is refused', () => {
  assert.equal(parseLoginRequest({ jid: 'a@example.org' }, 'work').profileName, 'work');
  usageError(() => parseLoginRequest({ jid: 'a@example.org' }, '../x'), /got "\.\.\/x"/);
  usageError(
    () => parseLoginRequest({ jid: 'ü@example.org' }, undefined),
    'cannot name a profile after "ü@example.org" (letters, digits and @ . _ - only); choose a name with --profile NAME',
  );
});

test('all client options land in the account', () => {
  const r = parseLoginRequest(
    {
      jid: 'a@localhost',
      host: '127.0.0.1',
      port: '5299',
      tls: 'off',
      resource: 'laptop',
      makeDefault: true,
    },
    undefined,
  );
  assert.deepEqual(r.account, {
    mode: 'client',
    jid: 'a@localhost',
    host: '127.0.0.1',
    port: 5299,
    tls: 'off',
    resource: 'laptop',
  });
  assert.equal(r.makeDefault, true);
});

test('--tls off: allowed on loopback; elsewhere only with --tls-insecure, and with a warning', () => {
  assert.deepEqual(parseLoginRequest({ jid: 'a@localhost', tls: 'off' }, undefined).warnings, []);
  usageError(
    () => parseLoginRequest({ jid: 'a@example.org', tls: 'off' }, undefined),
    '--tls off sends everything unencrypted; it is only allowed for a server on this machine (localhost, 127.0.0.0/8, ::1), got host "example.org"; add --tls-insecure to accept that risk',
  );
  usageError(
    () => parseLoginRequest({ jid: 'a@localhost', host: '10.0.0.5', tls: 'off' }, undefined),
    /got host "10\.0\.0\.5"/,
  );
  assert.deepEqual(
    parseLoginRequest({ jid: 'a@example.org', tls: 'off', tlsInsecure: true }, undefined).warnings,
    ['--tls off: the password and every message cross the network to example.org unencrypted'],
  );
  assert.match(
    parseLoginRequest({ jid: 'a@example.org', tlsInsecure: true }, undefined).warnings[0] ?? '',
    /^--tls-insecure: the server certificate is not checked/,
  );
});

test('a component login needs host and port, a secret, and no client options', () => {
  const r = parseLoginRequest(
    { component: 'Agent.localhost', host: '127.0.0.1', port: '5347', secretStdin: true },
    undefined,
  );
  assert.deepEqual(r.account, {
    mode: 'component',
    domain: 'agent.localhost',
    host: '127.0.0.1',
    port: 5347,
  });
  assert.deepEqual(
    [r.id, r.profileName, r.secretFromStdin],
    ['agent.localhost', 'agent.localhost', true],
  );
  usageError(
    () => parseLoginRequest({ component: 'agent.localhost', host: '127.0.0.1' }, undefined),
    "a component needs the server's --host and its component --port (often 5347)",
  );
  usageError(
    () => parseLoginRequest({ component: 'agent', host: 'h', port: '1' }, undefined),
    'expected a component domain like agent.example.org, got "agent"',
  );
  usageError(
    () =>
      parseLoginRequest(
        { component: 'agent.localhost', host: 'h', port: '1', passwordStdin: true },
        undefined,
      ),
    'a component authenticates with a shared secret: use --secret-stdin',
  );
  usageError(
    () =>
      parseLoginRequest(
        { component: 'agent.localhost', host: 'h', port: '1', tls: 'off' },
        undefined,
      ),
    '--tls applies to --jid accounts; a component connection (XEP-0114) has no TLS',
  );
  assert.match(
    parseLoginRequest(
      { component: 'agent.example.org', host: 'xmpp.example.org', port: '5347' },
      undefined,
    ).warnings[0] ?? '',
    /not encrypted/,
  );
});

test('either --jid or --component, exactly one', () => {
  usageError(
    () => parseLoginRequest({}, undefined),
    'expected --jid alice@example.org (or --component agent.example.org)',
  );
  usageError(
    () => parseLoginRequest({ jid: 'a@b.org', component: 'c.b.org' }, undefined),
    'give either --jid (an account) or --component (a component), not both',
  );
  usageError(
    () => parseLoginRequest({ jid: 'a@b.org', secretStdin: true }, undefined),
    'an account logs in with a password: use --password-stdin',
  );
  usageError(
    () => parseLoginRequest({ jid: 'a@b.org', caFile: '/nonexistent.pem' }, undefined),
    'expected --ca-file to name a readable PEM file, got "/nonexistent.pem"',
  );
});
