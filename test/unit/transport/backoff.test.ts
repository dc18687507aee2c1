import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../../src/transport/backoff.ts';

const options = { initialMs: 100, maxMs: 1000, stableMs: 5000 };

test('delays grow exponentially up to the bound', () => {
  const backoff = new Backoff({ ...options, random: () => 1 });
  const delays = Array.from({ length: 6 }, () => backoff.nextDelay());
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
});

test('jitter spreads delays between a tenth and the whole ceiling', () => {
  const low = new Backoff({ ...options, random: () => 0 });
  assert.deepEqual([low.nextDelay(), low.nextDelay()], [10, 20]);
  const seen = new Set(Array.from({ length: 50 }, () => new Backoff(options).nextDelay()));
  assert.ok(seen.size > 10, 'random delays differ');
  for (const d of seen) assert.ok(d >= 10 && d <= 100);
});

test('a connection that stayed up for the stable period resets the backoff', () => {
  let now = 0;
  const backoff = new Backoff({ ...options, random: () => 1, now: () => now });
  backoff.nextDelay();
  backoff.nextDelay();
  backoff.connected();
  now = 1000;
  assert.equal(backoff.nextDelay(), 400, 'a short-lived connection keeps backing off');
  backoff.connected();
  now = 10_000;
  assert.equal(backoff.nextDelay(), 100, 'a stable connection starts fresh');
});
