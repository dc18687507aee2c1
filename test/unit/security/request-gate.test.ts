import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signEnvelope, type SignedEnvelope } from '../../../src/protocol/signed.ts';
import { AuditLog, verifyAuditLog } from '../../../src/security/audit-log.ts';
import { ReplayGuard } from '../../../src/security/replay-guard.ts';
import {
  admitRequest,
  signResult,
  verifyResult,
  type AdmissionRequest,
  type GateDeps,
  type PolicyVerdictLike,
} from '../../../src/security/request-gate.ts';
import { generateSigningKey, type SigningKey } from '../../../src/security/signing-key.ts';
import { TrustStore } from '../../../src/security/trust-store.ts';

const root = mkdtempSync(join(tmpdir(), 'mx-gate-'));
const guards: ReplayGuard[] = [];
after(() => {
  for (const guard of guards) guard.close();
  rmSync(root, { recursive: true, force: true });
});

const ALICE = 'agt-aaaaaaaaaaaaaaaa';
const WORKER = 'agt-wwwwwwwwwwwwwwww';
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const aliceKey = generateSigningKey();
const workerKey = generateSigningKey();
const strangerKey = generateSigningKey();

interface Verdict extends PolicyVerdictLike {
  readonly reasons: readonly string[];
}
const allowAll = (): Verdict => ({ allowed: true, reasons: ['rule allow[0] allows make'] });

let count = 0;
/** A worker's gate over real stores in a fresh directory; `seen` collects what the policy saw. */
const worker = (policy: GateDeps<Verdict>['policy'] = allowAll, dir?: string) => {
  const home = dir ?? join(root, `worker-${String((count += 1))}`);
  const trust = new TrustStore(home);
  trust.add({ agent: ALICE, key: aliceKey.publicRaw, via: 'manual' });
  const replay = new ReplayGuard(join(home, 'data'));
  guards.push(replay);
  const audit = new AuditLog(join(home, 'data', 'audit.jsonl'));
  const seen: AdmissionRequest[] = [];
  const deps: GateDeps<Verdict> = {
    trust,
    replay,
    audit,
    now: () => NOW + 1000,
    policy: (request) => {
      seen.push(request);
      return policy(request);
    },
  };
  const admit = (raw: unknown) => admitRequest(raw, deps, { address: '@alice:example.org' });
  const records = (): Record<string, unknown>[] =>
    readFileSync(audit.path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { home, trust, replay, audit, deps, seen, admit, records };
};

const request = (
  key: Pick<SigningKey, 'fingerprint' | 'sign'> = aliceKey,
  extra: object = {},
): SignedEnvelope =>
  signEnvelope(key, {
    kind: 'task.request',
    agent: ALICE,
    body: { command: 'make', args: ['test'] },
    lifetimeMs: 60_000,
    now: NOW,
    ...extra,
  });
/** Through JSON, as it arrives. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const refused = async (
  gate: ReturnType<typeof worker>,
  raw: unknown,
  stage: string,
  reason: string | RegExp,
): Promise<void> => {
  const result = await gate.admit(raw);
  assert.equal(result.admitted, false);
  if (result.admitted) return;
  assert.equal(result.stage, stage, result.reason);
  if (typeof reason === 'string') assert.equal(result.reason, reason);
  else assert.match(result.reason, reason);
  const last = gate.records().at(-1);
  assert.equal(last?.decision, 'denied');
  assert.equal(last?.stage, stage);
  assert.equal(last?.reason, result.reason);
};

describe('request gate', () => {
  it('admits a genuine request, hands the policy who asked, and audits it', async () => {
    const gate = worker();
    const envelope = request();
    const result = await gate.admit(wire(envelope));
    assert.equal(result.admitted, true);
    if (!result.admitted) return;
    assert.deepEqual(result.envelope, envelope);
    assert.deepEqual(result.decision.reasons, ['rule allow[0] allows make']);
    assert.deepEqual(gate.seen[0]?.requester, {
      agent: ALICE,
      fingerprint: aliceKey.fingerprint,
      address: '@alice:example.org',
    });
    const [record] = gate.records();
    assert.equal(record?.event, 'request');
    assert.equal(record?.decision, 'allowed');
    assert.equal(record?.stage, 'admitted');
    assert.equal(record?.reason, 'rule allow[0] allows make');
    assert.deepEqual(record?.requester, {
      agent: ALICE,
      fingerprint: aliceKey.fingerprint,
      address: '@alice:example.org',
    });
    assert.equal(record?.kind, 'task.request');
    assert.equal(record?.nonce, envelope.nonce);
  });

  it('refuses a malformed request', async () => {
    const gate = worker();
    await refused(
      gate,
      'hello',
      'malformed',
      'malformed request from @alice:example.org: expected a signed envelope (a JSON object)',
    );
    const { sig: _sig, ...unsigned } = request();
    await refused(
      gate,
      unsigned,
      'malformed',
      /: sig: expected base64url of a 64-byte Ed25519 signature, got nothing$/,
    );
    assert.equal(gate.records().at(-1)?.nonce, unsigned.nonce, 'what it claimed is still recorded');
  });

  it('refuses a forged request without burning its nonce', async () => {
    const gate = worker();
    const genuine = request();
    const forged = { ...genuine, body: { command: 'rm', args: ['-rf', '/'] } };
    await refused(
      gate,
      wire(forged),
      'signature',
      `request from ${ALICE} is not validly signed by its trusted key ${aliceKey.fingerprint}: it was altered on the way or forged`,
    );
    assert.equal(gate.seen.length, 0, 'the policy never saw it');
    const result = await gate.admit(wire(genuine));
    assert.equal(result.admitted, true, 'the genuine request with the same nonce still passes');
  });

  it('refuses a request naming the trusted key but signed by another', async () => {
    const gate = worker();
    const impostor = {
      fingerprint: aliceKey.fingerprint,
      sign: (bytes: Uint8Array) => strangerKey.sign(bytes),
    };
    await refused(
      gate,
      wire(request(impostor)),
      'signature',
      /is not validly signed by its trusted key/,
    );
  });

  it('refuses a key it does not trust, saying how to trust it', async () => {
    const gate = worker();
    const stranger = signEnvelope(strangerKey, {
      kind: 'task.request',
      agent: 'agt-ssssssssssssssss',
      body: {},
      lifetimeMs: 60_000,
      now: NOW,
    });
    await refused(
      gate,
      wire(stranger),
      'trust',
      `request from agt-ssssssssssssssss signed by ${strangerKey.fingerprint}, which this agent does not trust: ` +
        `\`mx-agent trust add agt-ssssssssssssssss ${strangerKey.fingerprint}\` once you have checked that fingerprint with its owner`,
    );
  });

  it('refuses a trusted agent signing with a new key, naming both keys', async () => {
    const gate = worker();
    await refused(
      gate,
      wire(request(strangerKey)),
      'trust',
      new RegExp(
        `^request from ${ALICE} is signed by ${strangerKey.fingerprint}, but this agent trusts ${ALICE} only with ${aliceKey.fingerprint}\\. .*--replace.*someone else is using its name$`,
      ),
    );
  });

  it('refuses a replay, also after the worker restarts', async () => {
    const gate = worker();
    const envelope = wire(request());
    assert.equal((await gate.admit(envelope)).admitted, true);
    await refused(gate, envelope, 'replay', /reuses nonce .*, already accepted once: a replay$/);
    gate.replay.close();
    const restarted = worker(allowAll, gate.home);
    await refused(restarted, envelope, 'replay', /a replay$/);
  });

  it('refuses expired, future and overlong requests', async () => {
    const gate = worker();
    await refused(
      gate,
      wire(request(aliceKey, { now: NOW - 200_000 })),
      'expired',
      /expired 141 s ago/,
    );
    await refused(
      gate,
      wire(request(aliceKey, { now: NOW + 100_000 })),
      'expired',
      /issued 99 s in the future/,
    );
    await refused(
      gate,
      wire(request(aliceKey, { lifetimeMs: 3_600_000 })),
      'expired',
      /valid for 3600 s, longer than the 600 s allowed/,
    );
  });

  it('checks trust and signature before the window', async () => {
    const gate = worker();
    await refused(gate, wire(request(strangerKey, { now: NOW - 900_000 })), 'trust', /only with/);
    const old = request(aliceKey, { now: NOW - 900_000 });
    await refused(gate, wire({ ...old, body: {} }), 'signature', /forged/);
  });

  it('refuses what the policy denies or cannot judge, after recording the nonce', async () => {
    const deny = worker(() => ({
      allowed: false,
      reasons: ['make is not allowed', 'cwd is not allowed'],
    }));
    const envelope = wire(request());
    await refused(
      deny,
      envelope,
      'policy',
      `the policy denies the request from ${ALICE}: make is not allowed; cwd is not allowed`,
    );
    await refused(deny, envelope, 'replay', /a replay$/);
    const broken = worker(() => Promise.reject(new Error('policy.toml vanished')));
    await refused(
      broken,
      wire(request()),
      'policy',
      `the policy could not judge the request from ${ALICE}: policy.toml vanished`,
    );
  });

  it('audits every outcome in one valid chain', async () => {
    const gate = worker();
    const envelope = wire(request());
    await gate.admit(envelope);
    await gate.admit(envelope);
    await gate.admit(null);
    await gate.admit(wire(request(strangerKey)));
    assert.deepEqual(
      gate.records().map((r) => `${String(r.decision)}:${String(r.stage)}`),
      ['allowed:admitted', 'denied:replay', 'denied:malformed', 'denied:trust'],
    );
    const verdict = verifyAuditLog(gate.audit.path);
    assert.equal(verdict.ok ? verdict.records : verdict.reason, 4);
  });

  it('admits nothing it cannot audit', async () => {
    const gate = worker();
    const deps = { ...gate.deps, audit: { append: () => Promise.reject(new Error('disk full')) } };
    await assert.rejects(admitRequest(wire(request()), deps), /disk full/);
  });
});

describe('signed results', () => {
  const asked = request();
  const expected = { agent: WORKER, publicKey: workerKey.publicRaw, requestNonce: asked.nonce };
  const result = (key: SigningKey = workerKey, nonce = asked.nonce, agent = WORKER) =>
    wire(signResult(key, { agent, requestNonce: nonce, body: { exit: 0 }, now: NOW }));

  it('accepts a result signed by the executor that was asked, for that request', () => {
    const verdict = verifyResult(result(), expected);
    assert.equal(verdict.ok, true);
    if (verdict.ok) assert.equal(verdict.envelope.re, asked.nonce);
    assert.equal(verifyResult(result(), { ...expected, publicKey: workerKey.publicKey }).ok, true);
  });

  it('refuses results from anyone else, for another request, or altered', () => {
    const reason = (raw: unknown): string => {
      const verdict = verifyResult(raw, expected);
      return verdict.ok ? 'accepted' : verdict.reason;
    };
    assert.equal(
      reason(result(workerKey, asked.nonce, ALICE)),
      `result from ${ALICE}, but the request went to ${WORKER}`,
    );
    assert.equal(
      reason(result(strangerKey)),
      `result signed by ${strangerKey.fingerprint}, not by the executor's key ${workerKey.fingerprint}`,
    );
    const other = request().nonce;
    assert.equal(
      reason(result(workerKey, other)),
      `result answers request "${other}", not ${asked.nonce}`,
    );
    const altered = { ...(result() as object), body: { exit: 1 } };
    assert.equal(
      reason(altered),
      `result from ${WORKER} is not validly signed: altered on the way or forged`,
    );
    assert.match(reason({}), /^malformed result: v: expected 1/);
  });
});
