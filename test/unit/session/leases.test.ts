import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkspaceLeases } from '../../../src/session/leases.ts';
import { FakeNetwork } from '../../../src/transport/fake.ts';
import type { Transport } from '../../../src/transport/transport.ts';

/** A fake transport that claims account-wide (Matrix-like) membership. */
function durable(t: Transport): Transport {
  return new Proxy(t, {
    get(target, key) {
      if (key === 'membership') return 'durable';
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

test('session membership: the last lease going away leaves the workspace', async () => {
  const t = new FakeNetwork().transport('a');
  await t.connect();
  const leases = new WorkspaceLeases(t);
  await leases.acquire('#w', 1, {});
  await leases.acquire('#w', 2, {});
  await leases.releaseAll(1);
  assert.deepEqual(t.joinedWorkspaces(), ['#w'], 'still held by 2');
  await leases.releaseAll(2);
  assert.deepEqual(t.joinedWorkspaces(), []);
  await t.close();
});

test('durable membership: a command ending keeps the room; an explicit leave leaves', async () => {
  const t = durable(new FakeNetwork().transport('b'));
  await t.connect();
  const leases = new WorkspaceLeases(t);
  await leases.acquire('#w', 1, {});
  await leases.releaseAll(1);
  assert.deepEqual(t.joinedWorkspaces(), ['#w'], 'the account stays a member');
  assert.deepEqual(leases.heldBy(1), []);
  await leases.acquire('#w', 2, {});
  await leases.release('#w', 2);
  assert.deepEqual(t.joinedWorkspaces(), []);
  await t.close();
});
