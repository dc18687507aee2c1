/**
 * Device trust on the dev homeserver: emoji (SAS) verification between two of our devices —
 * both people see the same seven emoji, a match trusts the device, a mismatch trusts nothing —
 * and cross-signing bootstrap through user-interactive auth.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createMatrixTransport,
  matrixTrust,
  type SasPrompt,
} from '../../../src/transport/matrix/index.ts';
import type { Transport } from '../../../src/transport/transport.ts';
import { MatrixTestbed, type MatrixAccount } from '../../support/matrix-peers.ts';

describe('matrix device trust', () => {
  let bed: MatrixTestbed;
  const open: Transport[] = [];
  const connect = async (account: MatrixAccount): Promise<Transport> => {
    const t = createMatrixTransport(bed.options(account));
    await t.connect();
    open.push(t);
    return t;
  };
  /** Two devices that share a room (so each tracks the other's device list) and see each other. */
  const acquainted = async (
    alice: MatrixAccount,
    bob: MatrixAccount,
  ): Promise<[Transport, Transport]> => {
    const a = await connect(alice);
    const b = await connect(bob);
    const workspace = bed.workspace('trust');
    await a.joinWorkspace(workspace);
    await b.joinWorkspace(workspace);
    for (const [t, other] of [
      [a, bob],
      [b, alice],
    ] as const) {
      for (let i = 0; i < 100 && (await matrixTrust(t).devices(other.userId)).length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return [a, b];
  };
  before(async () => {
    bed = await MatrixTestbed.start();
  });
  after(async () => {
    await Promise.allSettled(open.map((t) => t.close()));
    await bed.dispose();
  });

  it('verifies a device with emoji: both sides see the same SAS, and then trust each other', async () => {
    const alice = await bed.account('alice');
    const bob = await bed.account('bob');
    const [a, b] = await acquainted(alice, bob);
    const seen: SasPrompt[] = [];
    const signal = AbortSignal.timeout(30_000);
    const [atBob, atAlice] = await Promise.all([
      matrixTrust(b).accept(
        alice.userId,
        (prompt) => {
          seen.push(prompt);
          return Promise.resolve(true);
        },
        signal,
      ),
      matrixTrust(a).verify(
        bob.userId,
        undefined,
        (prompt) => {
          seen.push(prompt);
          return Promise.resolve(true);
        },
        signal,
      ),
    ]);
    assert.equal(seen.length, 2);
    assert.equal(seen[0]?.emoji.length, 7);
    assert.deepEqual(seen[0]?.emoji, seen[1]?.emoji, 'the same emoji on both screens');
    assert.deepEqual(
      [atAlice.deviceId, atAlice.verified],
      [bob.deviceId, true],
      'alice trusts bob’s device',
    );
    assert.deepEqual([atBob.deviceId, atBob.verified], [alice.deviceId, true]);
  });

  it('a mismatch cancels on both sides and trusts nothing', async () => {
    const alice = await bed.account('alice');
    const bob = await bed.account('bob');
    const [a, b] = await acquainted(alice, bob);
    const signal = AbortSignal.timeout(30_000);
    const results = await Promise.allSettled([
      matrixTrust(b).accept(alice.userId, () => Promise.resolve(false), signal),
      matrixTrust(a).verify(bob.userId, bob.deviceId, () => Promise.resolve(true), signal),
    ]);
    assert.equal(results[0].status, 'rejected');
    assert.equal(results[1].status, 'rejected');
    assert.match(String(results[0].reason), /did not match/);
    const devices = await matrixTrust(a).devices(bob.userId);
    assert.deepEqual(
      devices.map((d) => [d.deviceId, d.verified]),
      [[bob.deviceId, false]],
    );
    await assert.rejects(
      matrixTrust(a).verify(bob.userId, 'NOSUCHDEVICE', () => Promise.resolve(true), signal),
      /has no device NOSUCHDEVICE/,
    );
  });

  it('bootstraps cross-signing through user-interactive auth, once', async () => {
    const carol = await bed.account('carol');
    const c = await connect(carol);
    assert.equal(await matrixTrust(c).bootstrapCrossSigning(carol.password), 'created');
    assert.equal(await matrixTrust(c).bootstrapCrossSigning(carol.password), 'ready');
    const devices = await matrixTrust(c).devices(carol.userId);
    assert.ok(devices.some((d) => d.deviceId === carol.deviceId && d.crossSigningVerified));
  });

  it('warns loudly when a known peer’s identity changes (trust on first use)', async () => {
    const frank = await bed.account('frank');
    const gina = await bed.account('gina');
    const warnings: string[] = [];
    const f = createMatrixTransport(
      bed.options(frank, {
        log: (level, message) => {
          if (level === 'warn') warnings.push(message);
        },
      }),
    );
    await f.connect();
    open.push(f);
    const g = await connect(gina);
    assert.equal(await matrixTrust(g).bootstrapCrossSigning(gina.password), 'created');
    const workspace = bed.workspace('tofu');
    await f.joinWorkspace(workspace);
    await g.joinWorkspace(workspace);
    // Frank first sees gina's identity (and pins it) when he encrypts to her.
    await f.send({ kind: 'workspace', workspace }, { type: 'text', text: 'hi gina' });
    assert.equal(warnings.filter((w) => /identity of/.test(w)).length, 0);
    await matrixTrust(g).bootstrapCrossSigning(gina.password, { reset: true });
    for (let i = 0; i < 100 && !warnings.some((w) => w.includes(gina.userId)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(
      warnings.some(
        (w) => /WARNING: the identity of .* changed/.test(w) && w.includes(gina.userId),
      ),
      warnings.join('\n'),
    );
  });

  it('backs room keys up under a recovery key, and a new device restores them with it', async () => {
    const dana = await bed.account('dana');
    const erin = await bed.account('erin');
    const [d, e] = await acquainted(dana, erin);
    const trust = matrixTrust(d);
    assert.deepEqual(await trust.backupStatus(), { version: null, keys: null, active: false });
    const { recoveryKey, version } = await trust.enableBackup(false);
    assert.match(recoveryKey, /^(\S{4} ){11}\S{4}$/);
    await assert.rejects(trust.enableBackup(false), /already exists/);
    // A room key dana receives from erin goes into the backup.
    const workspace = d.joinedWorkspaces()[0] ?? '';
    await e.send({ kind: 'workspace', workspace }, { type: 'text', text: 'back me up' });
    let status = await trust.backupStatus();
    // The SDK waits a random 0–10 s before uploading, to spread the load on the server.
    for (let i = 0; i < 250 && (status.keys ?? 0) < 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await trust.backupStatus();
    }
    assert.equal(status.version, version);
    assert.equal(status.active, true);
    assert.ok((status.keys ?? 0) >= 1, 'keys are uploaded');
    // A second device of dana, logged in later, restores them.
    const login = await fetch(`${bed.url}/_matrix/client/v3/login`, {
      method: 'POST',
      body: JSON.stringify({
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: dana.userId },
        password: dana.password,
      }),
    });
    const session = (await login.json()) as { access_token: string; device_id: string };
    const second = await connect({
      ...dana,
      accessToken: session.access_token,
      deviceId: session.device_id,
    });
    await assert.rejects(
      matrixTrust(second).restoreBackup('not a recovery key'),
      /expected a recovery key/,
    );
    const restored = await matrixTrust(second).restoreBackup(recoveryKey);
    assert.ok(restored.total >= 1 && restored.imported >= 1, JSON.stringify(restored));
  });
});
