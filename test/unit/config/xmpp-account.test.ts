import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, UsageError } from '../../../src/errors.ts';
import type { Profile, XmppClientAccount } from '../../../src/config/profile.ts';
import {
  accountHost,
  isLoopbackHost,
  parseDomain,
  parseJid,
  parsePort,
  parseResource,
  parseTlsMode,
  toTransportOptions,
} from '../../../src/config/xmpp-account.ts';

/** Assert that `run` throws a UsageError with exactly `message`. */
function usageError(run: () => unknown, message: string): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

test('parseJid accepts bare JIDs and lower-cases the domain only', () => {
  assert.equal(parseJid('alice@example.org'), 'alice@example.org');
  assert.equal(parseJid('Alice@Example.ORG'), 'Alice@example.org');
  assert.equal(parseJid('bot-1@localhost'), 'bot-1@localhost');
  assert.equal(parseJid('a@127.0.0.1'), 'a@127.0.0.1');
  assert.equal(parseJid('a@[::1]'), 'a@[::1]');
  assert.equal(parseJid('ünïcode@example.org'), 'ünïcode@example.org');
});

test('parseJid names the expected form and what arrived', () => {
  for (const bad of [
    'alice',
    'alice@',
    '@example.org',
    'alice@example',
    'a@b@example.org',
    'al ice@example.org',
    'alice@exa mple.org',
    'a:b@example.org',
    'alice@-bad-.org',
    `${'x'.repeat(1024)}@example.org`,
  ]) {
    assert.throws(() => parseJid(bad), UsageError, bad);
  }
  usageError(
    () => parseJid('alice'),
    'expected an XMPP address like alice@example.org, got "alice"',
  );
  usageError(
    () => parseJid('alice@example'),
    'expected an XMPP address like alice@example.org, got "alice@example"',
  );
  usageError(
    () => parseJid('alice@example.org/phone'),
    'expected a bare XMPP address like alice@example.org (give the resource with --resource), got "alice@example.org/phone"',
  );
});

test('parseDomain takes a DNS name with a dot, or localhost', () => {
  assert.equal(parseDomain('Agent.Example.org'), 'agent.example.org');
  assert.equal(parseDomain('localhost'), 'localhost');
  usageError(
    () => parseDomain('agent', 'a component domain like agent.example.org'),
    'expected a component domain like agent.example.org, got "agent"',
  );
  usageError(
    () => parseDomain('a@b.org'),
    'expected a domain like agent.example.org, got "a@b.org"',
  );
});

test('parsePort takes 1-65535 written as digits', () => {
  assert.equal(parsePort('5222'), 5222);
  assert.equal(parsePort('1'), 1);
  assert.equal(parsePort('65535'), 65535);
  for (const bad of ['0', '65536', '-1', '52a', '', ' 5222', '5e3', '123456'])
    usageError(
      () => parsePort(bad),
      `expected --port to be a number from 1 to 65535, got "${bad}"`,
    );
});

test('parseTlsMode and parseResource', () => {
  assert.equal(parseTlsMode('starttls'), 'starttls');
  assert.equal(parseTlsMode('required'), 'required');
  assert.equal(parseTlsMode('off'), 'off');
  usageError(
    () => parseTlsMode('on'),
    'expected --tls to be one of starttls, required, off, got "on"',
  );
  assert.equal(parseResource('laptop'), 'laptop');
  usageError(
    () => parseResource(' x'),
    'expected --resource to be a non-empty name like laptop, got " x"',
  );
});

test('loopback hosts are localhost, 127.0.0.0/8 and ::1', () => {
  for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]'])
    assert.ok(isLoopbackHost(host), host);
  for (const host of ['example.org', '10.0.0.1', '128.0.0.1', 'localhost.example.org', '::2'])
    assert.ok(!isLoopbackHost(host), host);
});

const client = (account: Partial<XmppClientAccount>): Extract<Profile, { network: 'xmpp' }> => ({
  name: 'p',
  network: 'xmpp',
  account: { mode: 'client', jid: 'alice@example.org', tls: 'starttls', ...account },
  createdAt: '2026-11-24T00:00:00.000Z',
});

test('toTransportOptions passes the account and secret, and reads the CA file', () => {
  assert.deepEqual(toTransportOptions(client({ host: 'h', port: 5299 }), 'pw'), {
    mode: 'client',
    jid: 'alice@example.org',
    host: 'h',
    port: 5299,
    tls: 'starttls',
    password: 'pw',
  });
  const ca = join(mkdtempSync(join(tmpdir(), 'mx-agent-ca-')), 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
  const withCa = toTransportOptions(client({ caFile: ca }), 'pw');
  assert.equal('ca' in withCa ? withCa.ca : undefined, '-----BEGIN CERTIFICATE-----\n');
  assert.ok(!('caFile' in withCa));
  assert.throws(
    () => toTransportOptions(client({ caFile: '/nonexistent/ca.pem' }), 'pw'),
    (e: unknown) =>
      e instanceof ConfigError && /cannot read the CA file \/nonexistent/.test(e.message),
  );
  const component: Extract<Profile, { network: 'xmpp' }> = {
    name: 'c',
    network: 'xmpp',
    account: { mode: 'component', domain: 'agent.example.org', host: '127.0.0.1', port: 5347 },
    createdAt: '2026-11-24T00:00:00.000Z',
  };
  assert.deepEqual(toTransportOptions(component, 's3cret'), {
    mode: 'component',
    domain: 'agent.example.org',
    host: '127.0.0.1',
    port: 5347,
    secret: 's3cret',
  });
  assert.equal(accountHost(component.account), '127.0.0.1');
  assert.equal(accountHost(client({}).account), 'example.org');
});
