import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputGate } from '../../../src/stream/input-gate.ts';
import { FakeNetwork } from '../../../src/transport/fake.ts';
import type { Member, Target } from '../../../src/transport/transport.ts';
import { ShapedTransport, type Shape } from './shaped-transport.ts';

const ROOM = 'ws@conference.example.org';
const WORKSPACE: Target = { kind: 'workspace', workspace: '#ws' };
const DIRECT: Target = { kind: 'direct', address: 'carol@example.org' };

/** The sharer's transport, claiming another network's rules. */
function sharerOn(shape: Shape): ShapedTransport {
  return new ShapedTransport(new FakeNetwork().transport('alice'), shape);
}

const NOT_ALLOWED = 'not allowed to type in this stream';
const HIDDEN = 'the room does not reveal who this member is';

describe('InputGate on Matrix', () => {
  const matrix = sharerOn({ network: 'matrix' });

  it('allows exactly the user ids it was given', () => {
    const gate = new InputGate(matrix, WORKSPACE, ['@bob:example.org']);
    assert.deepEqual(gate.check('@bob:example.org'), { allowed: true, who: '@bob:example.org' });
    for (const other of ['@Bob:example.org', '@bob:Example.org', '@bob:example.org.evil', '@bob'])
      assert.deepEqual(gate.check(other), { allowed: false, who: other, reason: NOT_ALLOWED });
  });

  it('is view-only when nobody was named', () => {
    const gate = new InputGate(matrix, DIRECT, []);
    assert.deepEqual(gate.list(), []);
    assert.deepEqual(gate.check('@alice:example.org'), {
      allowed: false,
      who: '@alice:example.org',
      reason: NOT_ALLOWED,
    });
  });

  it('grants and revokes while the stream runs', () => {
    const gate = new InputGate(matrix, WORKSPACE, []);
    gate.allow('@bob:example.org');
    assert.equal(gate.check('@bob:example.org').allowed, true);
    assert.equal(gate.revoke('@Bob:example.org'), false, 'a different user id');
    assert.equal(gate.revoke('@bob:example.org'), true);
    assert.equal(gate.revoke('@bob:example.org'), false);
    assert.equal(gate.check('@bob:example.org').allowed, false);
  });
});

describe('InputGate on XMPP, direct', () => {
  const xmpp = sharerOn({ network: 'xmpp' });

  it('allows the account from any of its clients, whatever the case', () => {
    const gate = new InputGate(xmpp, DIRECT, ['Bob@Example.org']);
    for (const from of ['bob@example.org', 'bob@example.org/laptop', 'BOB@EXAMPLE.ORG/Phone'])
      assert.deepEqual(gate.check(from), { allowed: true, who: from });
    assert.deepEqual(gate.check('bob@example.net/laptop'), {
      allowed: false,
      who: 'bob@example.net/laptop',
      reason: NOT_ALLOWED,
    });
  });

  it('lists addresses as given, and revokes by account', () => {
    const gate = new InputGate(xmpp, DIRECT, ['Bob@Example.org/laptop', 'carol@example.org']);
    assert.deepEqual(gate.list(), ['Bob@Example.org/laptop', 'carol@example.org']);
    assert.equal(gate.revoke('bob@example.org'), true);
    assert.deepEqual(gate.list(), ['carol@example.org']);
    assert.equal(gate.check('bob@example.org/laptop').allowed, false);
  });
});

describe('InputGate on XMPP, in a room', () => {
  const members: Member[] = [
    { address: `${ROOM}/bob`, account: 'Bob@Example.org/laptop', availability: 'available' },
    // A nick is chosen by its owner: this one pretends to be alice.
    {
      address: `${ROOM}/alice@example.org`,
      account: 'mallory@example.org/x',
      availability: 'available',
    },
    { address: `${ROOM}/anonymous`, availability: 'available' },
  ];
  const xmpp = sharerOn({ network: 'xmpp', members: () => members });

  it('judges a nick by the real JID the room reveals', () => {
    const gate = new InputGate(xmpp, WORKSPACE, ['bob@example.org']);
    assert.deepEqual(gate.check(`${ROOM}/bob`), { allowed: true, who: 'Bob@Example.org/laptop' });
  });

  it('is not fooled by a nick that looks like an allowed account', () => {
    const gate = new InputGate(xmpp, WORKSPACE, ['alice@example.org']);
    assert.deepEqual(gate.check(`${ROOM}/alice@example.org`), {
      allowed: false,
      who: 'mallory@example.org/x',
      reason: NOT_ALLOWED,
    });
  });

  it('refuses a member whose account the room hides, and says why', () => {
    const gate = new InputGate(xmpp, WORKSPACE, [`${ROOM}/anonymous`]);
    assert.deepEqual(gate.check(`${ROOM}/anonymous`), {
      allowed: false,
      who: `${ROOM}/anonymous`,
      reason: HIDDEN,
    });
  });

  it('refuses a sender the room does not list', () => {
    const gate = new InputGate(xmpp, WORKSPACE, ['bob@example.org']);
    assert.deepEqual(gate.check(`${ROOM}/left-already`), {
      allowed: false,
      who: `${ROOM}/left-already`,
      reason: HIDDEN,
    });
  });
});

describe('InputGate on other networks', () => {
  it('compares fake addresses exactly, in a workspace too', () => {
    const gate = new InputGate(sharerOn({}), WORKSPACE, ['fake:bob']);
    assert.equal(gate.check('fake:bob').allowed, true);
    assert.equal(gate.check('fake:Bob').allowed, false);
  });
});
