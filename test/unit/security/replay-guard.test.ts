import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { newNonce } from '../../../src/protocol/signed.ts';
import {
  DEFAULT_MAX_LIFETIME_MS,
  DEFAULT_SKEW_MS,
  ReplayGuard,
  type ReplayFields,
} from '../../../src/security/replay-guard.ts';

const root = mkdtempSync(join(tmpdir(), 'mx-replay-'));
const open: ReplayGuard[] = [];
after(() => {
  for (const guard of open) guard.close();
  rmSync(root, { recursive: true, force: true });
});
let count = 0;
const freshDir = (): string => join(root, `data-${String((count += 1))}`);
const guardAt = (dir: string): ReplayGuard => {
  const guard = new ReplayGuard(dir);
  open.push(guard);
  return guard;
};

const AGENT = 'agt-aaaaaaaaaaaaaaaa';
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const request = (window: Partial<ReplayFields> = {}): ReplayFields => ({
  agent: AGENT,
  nonce: newNonce(),
  issued: NOW,
  expires: NOW + 60_000,
  ...window,
});
const expired = (verdict: ReturnType<ReplayGuard['check']>, pattern: RegExp): void => {
  assert.equal(verdict.ok, false);
  if (verdict.ok) return;
  assert.equal(verdict.stage, 'expired');
  assert.match(verdict.reason, pattern);
};

describe('replay guard', () => {
  it('uses 10 minutes of lifetime and 60 s of skew by default', () => {
    assert.equal(DEFAULT_MAX_LIFETIME_MS, 600_000);
    assert.equal(DEFAULT_SKEW_MS, 60_000);
    assert.deepEqual(guardAt(freshDir()).limits, { maxLifetimeMs: 600_000, skewMs: 60_000 });
  });

  it('passes a fresh request and keeps its store private', () => {
    const dir = freshDir();
    const guard = guardAt(dir);
    assert.deepEqual(guard.check(request(), NOW + 1000), { ok: true });
    assert.equal(statSync(guard.path).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('refuses a window that ends before it starts, or is longer than allowed', () => {
    const guard = guardAt(freshDir());
    expired(guard.check(request({ expires: NOW }), NOW), /expires \(.*\) before it was issued/);
    expired(
      guard.check(request({ expires: NOW + 600_001 }), NOW),
      /^request from agt-a+ asks to stay valid for 600.001 s, longer than the 600 s allowed$/,
    );
    assert.ok(guard.check(request({ expires: NOW + 600_000 }), NOW).ok, 'exactly the maximum');
  });

  it('tolerates 60 s of clock skew either way, and no more', () => {
    const guard = guardAt(freshDir());
    assert.ok(guard.check(request(), NOW - 60_000).ok, 'issued 60 s ahead of our clock');
    expired(
      guard.check(request(), NOW - 60_001),
      /^request from agt-a+ was issued 60.001 s in the future \(2026-01-02T03:04:05.000Z\), beyond the 60 s of clock skew allowed; check the clocks/,
    );
    assert.ok(guard.check(request(), NOW + 120_000).ok, 'expired 60 s ago by our clock');
    expired(
      guard.check(request(), NOW + 120_001),
      /^request from agt-a+ expired 60.001 s ago .* sign it anew$/,
    );
  });

  it('refuses a nonce already recorded for the agent, but not for another agent', () => {
    const guard = guardAt(freshDir());
    const first = request();
    assert.ok(guard.check(first, NOW).ok);
    assert.equal(guard.record(first, NOW), true);
    assert.deepEqual(guard.check(first, NOW), {
      ok: false,
      stage: 'replay',
      reason: `request from ${AGENT} reuses nonce ${first.nonce}, already accepted once: a replay`,
    });
    assert.equal(guard.record(first, NOW), false, 'a second record loses');
    assert.ok(guard.check({ ...first, agent: 'agt-bbbbbbbbbbbbbbbb' }, NOW).ok);
  });

  it('still refuses the replay after the store is reopened', () => {
    const dir = freshDir();
    const first = request();
    const guard = guardAt(dir);
    guard.record(first, NOW);
    guard.close();
    const reopened = guardAt(dir);
    const verdict = reopened.check(first, NOW + 5000);
    assert.equal(verdict.ok ? 'ok' : verdict.stage, 'replay');
  });

  it('lets one of two processes sharing the store record a nonce', () => {
    const dir = freshDir();
    const one = guardAt(dir);
    const two = guardAt(dir);
    const first = request();
    assert.ok(
      one.check(first, NOW).ok && two.check(first, NOW).ok,
      'both checked before either recorded',
    );
    assert.deepEqual([one.record(first, NOW), two.record(first, NOW)], [true, false]);
  });

  it('forgets a nonce once its envelope could no longer pass the window', () => {
    const guard = guardAt(freshDir());
    const first = request();
    guard.record(first, NOW);
    assert.equal(guard.prune(first.expires + DEFAULT_SKEW_MS), 0, 'kept through expires + skew');
    assert.equal(guard.prune(first.expires + DEFAULT_SKEW_MS + 1), 1);
    expired(guard.check(first, first.expires + DEFAULT_SKEW_MS + 1), /expired/);
  });
});
