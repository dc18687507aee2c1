import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SyncRetry } from '../../../../src/transport/matrix/sync-retry.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Delays of 10, 20, 40 ms… (no jitter: `random` is 1), at most 40 ms. */
const fast = { initialMs: 10, maxMs: 40, stableMs: 60_000, random: () => 1 };

test('pokes a lost sync soon, backing off, until it is restored', async () => {
  const pokes: number[] = [];
  const started = Date.now();
  const retry = new SyncRetry(() => pokes.push(Date.now() - started), fast);
  retry.lost();
  retry.lost(); // the SDK reports Reconnecting, then Error: still one schedule
  await wait(150);
  retry.restored();
  const seen = pokes.length;
  assert.ok(seen >= 2 && seen <= 6, `pokes at ${pokes.join(', ')} ms`);
  assert.ok((pokes[0] ?? 0) < 30, `the first poke came at ${String(pokes[0])} ms`);
  await wait(100);
  assert.equal(pokes.length, seen, 'no poke once the sync is back');
});

test('never pokes after stop, even when told the sync is lost', async () => {
  let pokes = 0;
  const retry = new SyncRetry(() => pokes++, fast);
  retry.lost();
  retry.stop();
  retry.lost();
  await wait(80);
  assert.equal(pokes, 0);
});
