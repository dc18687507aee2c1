import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAllowed } from '../../../src/agent/access.ts';

describe('who may talk to a serve agent (Fluux Agent semantics, and Matrix ids)', () => {
  it('by default only senders of its own domain, and only those listed', () => {
    const rules = {
      allowedJids: ['Alice@Example.org'],
      allowedDomains: [],
      ownDomain: 'example.org',
    };
    assert.equal(isAllowed('alice@example.org/laptop', rules), true);
    assert.equal(isAllowed('bob@example.org', rules), false);
    assert.equal(isAllowed('alice@evil.org', rules), false);
    assert.equal(isAllowed('not-an-address', rules), false);
  });

  it('"*" opens a list; an empty allowed_jids admits nobody', () => {
    assert.equal(
      isAllowed('x@example.org', {
        allowedJids: ['*'],
        allowedDomains: [],
        ownDomain: 'example.org',
      }),
      true,
    );
    assert.equal(
      isAllowed('x@other.org', {
        allowedJids: ['*'],
        allowedDomains: [],
        ownDomain: 'example.org',
      }),
      false,
    );
    assert.equal(
      isAllowed('x@other.org', {
        allowedJids: ['*'],
        allowedDomains: ['*'],
        ownDomain: 'example.org',
      }),
      true,
    );
    assert.equal(
      isAllowed('x@other.org', {
        allowedJids: ['*'],
        allowedDomains: ['other.org'],
        ownDomain: 'example.org',
      }),
      true,
    );
    assert.equal(
      isAllowed('x@example.org', {
        allowedJids: [],
        allowedDomains: ['*'],
        ownDomain: 'example.org',
      }),
      false,
    );
  });

  it('Matrix ids: the server name is the domain', () => {
    const rules = {
      allowedJids: ['@alice:matrix.org'],
      allowedDomains: [],
      ownDomain: 'matrix.org',
    };
    assert.equal(isAllowed('@alice:matrix.org', rules), true);
    assert.equal(isAllowed('@mallory:matrix.org', rules), false);
    assert.equal(isAllowed('@alice:evil.org', { ...rules, allowedDomains: ['*'] }), false);
    assert.equal(
      isAllowed('@eve:evil.org', {
        allowedJids: ['*'],
        allowedDomains: [],
        ownDomain: 'matrix.org',
      }),
      false,
    );
  });
});
