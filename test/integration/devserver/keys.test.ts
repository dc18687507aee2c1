import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHomeserver, type Homeserver } from '../../../src/devserver/homeserver.ts';
import { call, register } from '../../support/devserver.ts';

const C = '/_matrix/client/v3';
type Json = Record<string, unknown>;
const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, key) => (v as Json | undefined)?.[key], value);

describe('dev homeserver: end-to-end encryption keys and to-device', () => {
  let hs: Homeserver;
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };
  let aliceDevice = '';
  let bobDevice = '';
  before(async () => {
    hs = await startHomeserver();
    alice = await register(hs, 'alice');
    bob = await register(hs, 'bob');
    aliceDevice = String(
      (await call(hs, 'GET', `${C}/account/whoami`, undefined, alice.token)).body.device_id,
    );
    bobDevice = String(
      (await call(hs, 'GET', `${C}/account/whoami`, undefined, bob.token)).body.device_id,
    );
    const roomId = String(
      (await call(hs, 'POST', `${C}/createRoom`, { preset: 'public_chat' }, alice.token)).body
        .room_id,
    );
    await call(hs, 'POST', `${C}/join/${encodeURIComponent(roomId)}`, {}, bob.token);
  });
  after(async () => {
    await hs.close();
  });

  it('stores device keys, counts one-time keys, and hands out each once, then the fallback key', async () => {
    const since = String(
      (await call(hs, 'GET', `${C}/sync`, undefined, bob.token)).body.next_batch,
    );
    const deviceKeys = {
      user_id: alice.userId,
      device_id: aliceDevice,
      algorithms: ['m.megolm.v1.aes-sha2'],
      keys: { [`ed25519:${aliceDevice}`]: 'ED', [`curve25519:${aliceDevice}`]: 'CU' },
      signatures: {},
    };
    const up = await call(
      hs,
      'POST',
      `${C}/keys/upload`,
      {
        device_keys: deviceKeys,
        one_time_keys: { 'signed_curve25519:A': { key: 'k1' } },
        fallback_keys: { 'signed_curve25519:F': { key: 'fb', fallback: true } },
      },
      alice.token,
    );
    assert.deepEqual(up.body, { one_time_key_counts: { signed_curve25519: 1 } });
    const spoof = await call(
      hs,
      'POST',
      `${C}/keys/upload`,
      { device_keys: { ...deviceKeys, user_id: bob.userId } },
      alice.token,
    );
    assert.equal(spoof.status, 400, "device keys must be the uploader's own");
    const query = await call(
      hs,
      'POST',
      `${C}/keys/query`,
      { device_keys: { [alice.userId]: [] } },
      bob.token,
    );
    assert.deepEqual(at(query.body, 'device_keys', alice.userId, aliceDevice), deviceKeys);
    const claim = () =>
      call(
        hs,
        'POST',
        `${C}/keys/claim`,
        { one_time_keys: { [alice.userId]: { [aliceDevice]: 'signed_curve25519' } } },
        bob.token,
      );
    assert.deepEqual(at((await claim()).body, 'one_time_keys', alice.userId, aliceDevice), {
      'signed_curve25519:A': { key: 'k1' },
    });
    assert.deepEqual(at((await claim()).body, 'one_time_keys', alice.userId, aliceDevice), {
      'signed_curve25519:F': { key: 'fb', fallback: true },
    });
    const sync = await call(hs, 'GET', `${C}/sync`, undefined, alice.token);
    assert.deepEqual(sync.body.device_one_time_keys_count, {});
    assert.deepEqual(sync.body.device_unused_fallback_key_types, [], 'the fallback key was used');
    const changes = await call(hs, 'GET', `${C}/sync?since=${since}`, undefined, bob.token);
    assert.ok(
      (at(changes.body, 'device_lists', 'changed') as string[]).includes(alice.userId),
      'room peers learn of new keys',
    );
  });

  it('takes cross-signing keys behind user-interactive auth and shows user-signing keys only to their owner', async () => {
    const keys = {
      master_key: { user_id: alice.userId, usage: ['master'], keys: { 'ed25519:MASTER': 'M' } },
      self_signing_key: {
        user_id: alice.userId,
        usage: ['self_signing'],
        keys: { 'ed25519:SELF': 'S' },
      },
      user_signing_key: {
        user_id: alice.userId,
        usage: ['user_signing'],
        keys: { 'ed25519:USER': 'U' },
      },
    };
    const challenge = await call(hs, 'POST', `${C}/keys/device_signing/upload`, keys, alice.token);
    assert.equal(challenge.status, 401);
    const done = await call(
      hs,
      'POST',
      `${C}/keys/device_signing/upload`,
      { ...keys, auth: { type: 'm.login.dummy', session: challenge.body.session } },
      alice.token,
    );
    assert.equal(done.status, 200);
    const signed = await call(
      hs,
      'POST',
      `${C}/keys/signatures/upload`,
      {
        [alice.userId]: {
          [aliceDevice]: { signatures: { [alice.userId]: { 'ed25519:SELF': 'SIG' } } },
        },
      },
      alice.token,
    );
    assert.deepEqual(signed.body, { failures: {} });
    const byBob = await call(
      hs,
      'POST',
      `${C}/keys/query`,
      { device_keys: { [alice.userId]: [] } },
      bob.token,
    );
    assert.ok(at(byBob.body, 'master_keys', alice.userId));
    assert.equal(at(byBob.body, 'user_signing_keys', alice.userId), undefined);
    assert.equal(
      at(
        byBob.body,
        'device_keys',
        alice.userId,
        aliceDevice,
        'signatures',
        alice.userId,
        'ed25519:SELF',
      ),
      'SIG',
    );
    const byAlice = await call(
      hs,
      'POST',
      `${C}/keys/query`,
      { device_keys: { [alice.userId]: [] } },
      alice.token,
    );
    assert.ok(at(byAlice.body, 'user_signing_keys', alice.userId));
  });

  it('delivers to-device messages to the addressed device once', async () => {
    const since = String(
      (await call(hs, 'GET', `${C}/sync`, undefined, bob.token)).body.next_batch,
    );
    await call(
      hs,
      'PUT',
      `${C}/sendToDevice/m.room.encrypted/t1`,
      { messages: { [bob.userId]: { [bobDevice]: { ciphertext: 'x' } } } },
      alice.token,
    );
    await call(
      hs,
      'PUT',
      `${C}/sendToDevice/m.room_key_request/t2`,
      { messages: { [bob.userId]: { '*': { action: 'request' } } } },
      alice.token,
    );
    const first = await call(
      hs,
      'GET',
      `${C}/sync?since=${since}&timeout=5000`,
      undefined,
      bob.token,
    );
    assert.deepEqual(at(first.body, 'to_device', 'events'), [
      { sender: alice.userId, type: 'm.room.encrypted', content: { ciphertext: 'x' } },
      { sender: alice.userId, type: 'm.room_key_request', content: { action: 'request' } },
    ]);
    const second = await call(
      hs,
      'GET',
      `${C}/sync?since=${String(first.body.next_batch)}`,
      undefined,
      bob.token,
    );
    assert.deepEqual(at(second.body, 'to_device', 'events'), [], 'acknowledged by the next since');
  });
});
