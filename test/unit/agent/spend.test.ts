import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SpendCapError, SpendLedger } from '../../../src/agent/spend.ts';

describe('spend caps', () => {
  it('refuses a person past their daily cap, others still pass, and the count survives a restart', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'spend-')), 'usage.json');
    let now = Date.parse('2026-11-25T10:00:00Z');
    const caps = { dailyTokens: 0, dailyTokensPerPerson: 100 };
    const ledger = new SpendLedger(file, caps, () => now);
    ledger.check('alice');
    ledger.record('alice', { inputTokens: 80, outputTokens: 30 });
    assert.throws(
      () => {
        ledger.check('alice');
      },
      (e: unknown) =>
        e instanceof SpendCapError &&
        e.scope === 'person' &&
        /daily budget of 100 tokens/.test(e.message),
    );
    ledger.check('bob');
    ledger.flush();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const restarted = new SpendLedger(file, caps, () => now);
    assert.throws(() => {
      restarted.check('alice');
    }, SpendCapError);
    now = Date.parse('2026-11-26T00:00:01Z');
    restarted.check('alice');
    assert.deepEqual(restarted.used('alice'), { person: 0, total: 0 });
  });

  it('has a cap for the whole agent', () => {
    const ledger = new SpendLedger(undefined, { dailyTokens: 50, dailyTokensPerPerson: 0 });
    ledger.record('a', { inputTokens: 30, outputTokens: 30 });
    assert.throws(
      () => {
        ledger.check('b');
      },
      (e: unknown) => e instanceof SpendCapError && e.scope === 'agent',
    );
    assert.match(ledger.usageText('a'), /you 60 \(no cap\); this agent 60 of 50/);
  });
});
