import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../../src/errors.ts';
import { parseXmppAddress } from '../../../../src/transport/xmpp/address.ts';

test('accepts bare and full JIDs, service domains and rooms; lower-cases the domain', () => {
  assert.equal(parseXmppAddress('alice@Example.ORG'), 'alice@example.org');
  assert.equal(parseXmppAddress('alice@example.org/laptop 2'), 'alice@example.org/laptop 2');
  assert.equal(parseXmppAddress('agent.example.org'), 'agent.example.org');
  assert.equal(parseXmppAddress('room@conference.localhost'), 'room@conference.localhost');
  assert.equal(parseXmppAddress('bob@localhost'), 'bob@localhost');
});

test('refuses a lone word, spaces and double @ with the expected form in the message', () => {
  for (const input of [
    'alice',
    'a b@example.org',
    'a@@example.org',
    '',
    '@example.org',
    'alice@exa_mple.org',
  ]) {
    assert.throws(
      () => parseXmppAddress(input),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message ===
          `expected an XMPP address like alice@example.org or a room like room@conference.example.org, got ${JSON.stringify(input)}`,
      input,
    );
  }
});
