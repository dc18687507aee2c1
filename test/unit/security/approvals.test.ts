import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApprovalStore, type NewHeldJob } from '../../../src/security/approvals.ts';

const job = (heldAt: number, expiresAt: number): NewHeldJob => ({
  nonce: 'n'.repeat(22),
  requester: { agent: 'agt-bossbossbossboss', fingerprint: 'SHA256:x', address: 'boss' },
  run: 'r1',
  job: 'deploy',
  step: '0',
  command: '/bin/sh',
  args: ['-c', 'true'],
  cwd: '/srv',
  env: [{ name: 'TOKEN', length: 12 }],
  rule: 0,
  heldAt,
  expiresAt,
  holder: { address: 'worker', pid: process.pid },
});

describe('the approvals store', () => {
  it('records one decision per held job, in time, and says why another is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mx-approvals-store-'));
    const store = new ApprovalStore(dir);
    const now = Date.now();
    const held = store.hold(job(now, now + 60_000));
    assert.match(held.id, /^apr-[a-z2-7]{8}$/);
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    // Another process (the CLI) sees it.
    const cli = new ApprovalStore(dir);
    assert.deepEqual(
      cli.list().map((j) => j.id),
      [held.id],
    );
    assert.equal(cli.decide(held.id, 'approved', 'alice', now).decidedBy, 'alice');
    assert.throws(
      () => cli.decide(held.id, 'approved', 'bob', now),
      (e: Error & { kind?: string }) =>
        e.kind === 'refused' &&
        e.message === `${held.id} is already approved by alice: it cannot be approved now`,
    );
    assert.deepEqual(cli.list(), []);
    assert.equal(cli.list({ all: true }).length, 1);
    const late = store.hold(job(now - 120_000, now - 60_000));
    assert.throws(
      () => cli.decide(late.id, 'denied', 'alice', now),
      (e: Error & { kind?: string }) =>
        e.kind === 'refused' && /expired at .* before it was denied/.test(e.message),
    );
    assert.throws(
      () => cli.decide('42', 'approved', 'alice', now),
      (e: Error & { kind?: string }) =>
        e.kind === 'usage' && /expected an approval id like apr-/.test(e.message),
    );
    // An expiry and a decision racing: one UPDATE wins.
    const raced = store.hold(job(now, now + 60_000));
    assert.equal(store.settle(raced.id, ['pending'], 'expired', 'too late', now), true);
    assert.throws(
      () => cli.decide(raced.id, 'approved', 'alice', now),
      /already expired \(too late\)/,
    );
    store.close();
    cli.close();
  });
});
