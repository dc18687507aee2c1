import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import {
  MAX_ENVELOPE_BYTES,
  parseEnvelope,
  signEnvelope,
  signatureInput,
  verifySignature,
  type SignedEnvelope,
} from '../../../src/protocol/signed.ts';
import { canonicalJson } from '../../../src/protocol/canonical-json.ts';
import {
  fingerprintOf,
  generateSigningKey,
  publicKeyFromRaw,
} from '../../../src/security/signing-key.ts';

const AGENT = 'agt-abcdefghijklmnop';
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const key = generateSigningKey();
const other = generateSigningKey();

const sample = (extra: Partial<Parameters<typeof signEnvelope>[1]> = {}): SignedEnvelope =>
  signEnvelope(key, {
    kind: 'task.request',
    agent: AGENT,
    body: { command: 'make', args: ['test'], limits: { cpu: 2 } },
    lifetimeMs: 60_000,
    now: NOW,
    ...extra,
  });

/** The envelope as it arrives: through JSON on the wire. */
const wire = (value: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

const parsed = (value: unknown): SignedEnvelope => {
  const result = parseEnvelope(value);
  assert.ok(typeof result !== 'string', result as string);
  return result;
};

describe('signed envelopes', () => {
  it('carries who, which key, a fresh nonce and the window, and verifies with the public key', () => {
    const envelope = sample();
    assert.equal(envelope.v, 1);
    assert.equal(envelope.kind, 'task.request');
    assert.equal(envelope.agent, AGENT);
    assert.equal(envelope.key, key.fingerprint);
    assert.match(envelope.nonce, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(envelope.issued, NOW);
    assert.equal(envelope.expires, NOW + 60_000);
    assert.match(envelope.sig, /^[A-Za-z0-9_-]{86}$/);
    assert.notEqual(sample().nonce, envelope.nonce, 'every envelope has its own nonce');
    assert.ok(verifySignature(parsed(wire(envelope)), key.publicKey));
  });

  it('signs the canonical JSON of everything but sig', () => {
    const envelope = sample();
    const { sig: _sig, ...rest } = envelope;
    assert.equal(Buffer.from(signatureInput(envelope)).toString(), canonicalJson(rest));
  });

  it('fails to verify when the body changed, or with another key', () => {
    const envelope = wire(sample());
    const forged = { ...envelope, body: { command: 'rm', args: ['-rf', '/'] } };
    assert.equal(verifySignature(parsed(forged), key.publicKey), false);
    assert.equal(verifySignature(parsed(envelope), other.publicKey), false);
    const elsewhere = sample({ kind: 'task.cancel', agent: 'agt-zzzzzzzzzzzzzzzz', now: NOW + 1 });
    for (const field of ['kind', 'agent', 'issued', 'expires', 'nonce'] as const) {
      const changed = { ...envelope, [field]: elsewhere[field] };
      assert.equal(verifySignature(parsed(wire(changed)), key.publicKey), false, field);
    }
  });

  it('keeps unknown fields through a round trip and covers them with the signature', () => {
    const envelope = sample({ fields: { trace: 'abc', hops: [1, 2] } });
    const arrived = parsed(wire(envelope));
    assert.deepEqual(arrived.hops, [1, 2], 'an unknown field survives parsing');
    assert.ok(verifySignature(arrived, key.publicKey));
    const changed = parsed({ ...wire(envelope), trace: 'abd' });
    assert.equal(verifySignature(changed, key.publicKey), false, 'changed unknown field');
    const added = parsed({ ...wire(envelope), extra: true });
    assert.equal(verifySignature(added, key.publicKey), false, 'added unknown field');
    const { trace: _trace, ...removed } = wire(envelope);
    assert.equal(verifySignature(parsed(removed), key.publicKey), false, 'removed unknown field');
  });

  it('never throws when verifying garbage', () => {
    const envelope = sample();
    const x25519 = generateKeyPairSync('x25519').publicKey;
    assert.equal(verifySignature(envelope, x25519), false);
    assert.equal(verifySignature({ ...envelope, sig: 'short' }, key.publicKey), false);
    const float = { ...envelope, body: { n: 1.5 } };
    assert.equal(verifySignature(float, key.publicKey), false);
    assert.equal(verifySignature({} as SignedEnvelope, key.publicKey), false);
  });

  it('parses strictly, saying which field is wrong', () => {
    const good = wire(sample());
    const reasons = [
      [null, 'expected a signed envelope (a JSON object)'],
      [[good], 'expected a signed envelope (a JSON object)'],
      [{ ...good, v: 2 }, 'v: expected 1, got 2 (an unsupported envelope version)'],
      [
        { ...good, kind: 'Task' },
        'kind: expected a dotted lower-case name like task.request, got "Task"',
      ],
      [{ ...good, agent: 'bob' }, 'agent: expected an agent id like agt-…, got "bob"'],
      [
        { ...good, key: 'SHA256:abc' },
        'key: expected a key fingerprint like SHA256:…, got "SHA256:abc"',
      ],
      [
        { ...good, nonce: 'AAAAAAAAAAAAAAAAAAAAAB' },
        'nonce: expected base64url of 16 bytes, got "AAAAAAAAAAAAAAAAAAAAAB"',
      ],
      [{ ...good, issued: -1 }, 'issued: expected a time in ms since the epoch, got -1'],
      [{ ...good, expires: '1' }, 'expires: expected a time in ms since the epoch, got "1"'],
      [{ ...good, body: [] }, 'body: expected a JSON object, got []'],
      [
        { ...good, sig: undefined },
        'sig: expected base64url of a 64-byte Ed25519 signature, got nothing',
      ],
      [{ ...good, re: 'x' }, 're: expected the nonce of a request, got "x"'],
      [
        { ...good, body: { limits: { cpu: 0.5 } } },
        'body.limits.cpu: expected an integer, got 0.5',
      ],
      [{ ...good, extra: { at: 1.25 } }, 'extra.at: expected an integer, got 1.25'],
    ] as const;
    for (const [value, reason] of reasons) assert.equal(parseEnvelope(value), reason);
  });

  it('refuses an envelope larger than a payload body may be', () => {
    const big = { ...wire(sample()), body: { text: 'x'.repeat(MAX_ENVELOPE_BYTES) } };
    assert.match(
      parseEnvelope(big) as string,
      /^the envelope is \d+ bytes as canonical JSON, more than the 32768 allowed$/,
    );
    assert.throws(
      () => sample({ body: { text: 'x'.repeat(MAX_ENVELOPE_BYTES) } }),
      (error: unknown) =>
        error instanceof UsageError &&
        /cannot sign this envelope: the envelope is/.test(error.message),
    );
  });

  it('refuses to sign what it cannot make valid', () => {
    const usage = (extra: Partial<Parameters<typeof signEnvelope>[1]>, message: string): void => {
      assert.throws(
        () => sample(extra),
        (error: unknown) => error instanceof UsageError && error.message === message,
      );
    };
    usage({ lifetimeMs: 0 }, 'lifetimeMs: expected a positive integer, got 0');
    usage(
      { fields: { nonce: 'mine' } },
      'fields: "nonce" is an envelope field and cannot be set as an extra',
    );
    usage(
      { agent: 'agt-X' },
      'cannot sign this envelope: agent: expected an agent id like agt-…, got "agt-X"',
    );
    usage({ body: { ratio: 0.5 } }, 'body.ratio: expected an integer, got 0.5');
  });

  it('matches the test vector of specs/protocol.md (RFC 8032 test 1 key)', () => {
    const hex = (text: string): string => Buffer.from(text, 'hex').toString('base64url');
    const x = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const d = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const publicRaw = `ed25519:${x}`;
    assert.equal(publicRaw, 'ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo');
    const fingerprint = fingerprintOf(publicKeyFromRaw(publicRaw));
    assert.equal(fingerprint, 'SHA256:If4x36FUomFia_hUBG_SJxt77UtqvkWqWId-9H-XIbk');
    const envelope = parsed({
      v: 1,
      kind: 'task.request',
      agent: 'agt-abcdefghijklmnop',
      key: fingerprint,
      nonce: 'BwcHBwcHBwcHBwcHBwcHBw',
      issued: 1767323045000,
      expires: 1767323105000,
      body: { command: 'make', args: ['test'], cwd: '/home/alice/app' },
      sig: 'nP0m_v0G17Izq4be4YwDzkyrd7b6Q0g9rO3646OTR33RulqMHBZsaftQmQexV5sG2IzzktjGATjrGgtDRPNlAg',
    });
    const input = signatureInput(envelope);
    assert.equal(
      Buffer.from(input).toString(),
      '{"agent":"agt-abcdefghijklmnop","body":{"args":["test"],"command":"make","cwd":"/home/alice/app"},' +
        '"expires":1767323105000,"issued":1767323045000,"key":"SHA256:If4x36FUomFia_hUBG_SJxt77UtqvkWqWId-9H-XIbk",' +
        '"kind":"task.request","nonce":"BwcHBwcHBwcHBwcHBwcHBw","v":1}',
    );
    assert.ok(verifySignature(envelope, publicKeyFromRaw(publicRaw)));
    const privateKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d, x },
      format: 'jwk',
    });
    assert.equal(
      sign(null, input, privateKey).toString('base64url'),
      envelope.sig,
      'Ed25519 is deterministic',
    );
  });
});
