/**
 * The dev homeserver serves an independent end-to-end encrypted client: two matrix-nio peers
 * (python-olm, a different Olm/Megolm implementation from matrix-js-sdk's Rust crypto) register,
 * share an encrypted room, and each decrypts what the other sends. That needs device keys,
 * one-time key claims, to-device delivery of room keys and device-list tracking to work as the
 * spec says, through nio's own (legacy r0) requests.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHomeserver, type Homeserver } from '../../../src/devserver/homeserver.ts';
import {
  NIO_MISSING,
  NioPeerError,
  nioAvailable,
  startNioPeer,
  type NioPeer,
} from '../../support/nio.ts';

describe(
  'dev homeserver: two matrix-nio peers in an encrypted room',
  { skip: nioAvailable() === undefined ? NIO_MISSING : false },
  () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mx-agent-hs-nio-'));
    let hs: Homeserver;
    const peers: NioPeer[] = [];
    /** Set by the last test: the peers' logs are printed only for a failed run. */
    let passed = false;

    before(async () => {
      hs = await startHomeserver({ dataDir, port: 0 });
    });
    after(async () => {
      await Promise.all(peers.map((p) => p.close()));
      await hs.close();
      // Keep the logs of a failing run where they can be read.
      if (!passed)
        for (const [i, p] of peers.entries()) console.error(`peer ${String(i)}:\n${p.log()}`);
      rmSync(dataDir, { recursive: true, force: true });
    });

    const peer = (): NioPeer => {
      const p = startNioPeer();
      peers.push(p);
      return p;
    };

    let alice: NioPeer;
    let bob: NioPeer;
    let aliceId = '';
    let bobDevice = '';
    let roomId = '';
    let firstEventId = '';

    it('each decrypts the message of the other', async () => {
      alice = peer();
      bob = peer();
      const a = await alice.register(hs.url, 'alice', 'alice-pw');
      const b = await bob.register(hs.url, 'bob', 'bob-pw');
      assert.equal(a.userId, '@alice:localhost');
      aliceId = a.userId;
      bobDevice = b.deviceId;

      roomId = await alice.createRoom({ encrypted: true, invite: [b.userId] });
      assert.equal(await bob.join(roomId), roomId);
      await alice.waitJoined(roomId, b.userId);

      const fromAlice = await alice.send(roomId, 'hello from alice');
      assert.equal(fromAlice.encrypted, true, 'the room is encrypted, so the send is');
      firstEventId = fromAlice.eventId;
      const atBob = await bob.waitMessage(roomId, { from: a.userId });
      assert.deepEqual(
        { body: atBob.body, decrypted: atBob.decrypted, undecryptable: atBob.undecryptable },
        { body: 'hello from alice', decrypted: true, undecryptable: false },
      );
      assert.equal(atBob.eventId, fromAlice.eventId);

      await bob.send(roomId, 'hello from bob');
      const atAlice = await alice.waitMessage(roomId, { from: b.userId });
      assert.deepEqual(
        { body: atAlice.body, decrypted: atAlice.decrypted, undecryptable: atAlice.undecryptable },
        { body: 'hello from bob', decrypted: true, undecryptable: false },
      );
    });

    it('a device that logs in later reads what is sent after it, not what was sent before', async () => {
      const bobLater = peer();
      await assert.rejects(
        bobLater.login(hs.url, 'bob', 'wrong-pw'),
        (error: unknown) => error instanceof NioPeerError && error.errcode === 'M_FORBIDDEN',
      );
      const b2 = await bobLater.login(hs.url, 'bob', 'bob-pw');
      assert.notEqual(b2.deviceId, bobDevice);

      // The old message reaches the new device in its first sync, but its key never did.
      const old = await bobLater.waitMessage(roomId, { from: aliceId });
      assert.deepEqual(
        { eventId: old.eventId, undecryptable: old.undecryptable, body: old.body },
        { eventId: firstEventId, undecryptable: true, body: undefined },
      );
      assert.ok(old.sessionId, 'an undecryptable event names its Megolm session');

      // Alice learns of the device from device_lists.changed in her sync, then keys/query.
      await alice.waitDevice(b2.userId, b2.deviceId);
      const sent = await alice.send(roomId, 'hello to both devices');
      for (const device of [bobLater, bob]) {
        const got = await device.waitMessage(roomId, { from: aliceId });
        assert.deepEqual(
          { eventId: got.eventId, body: got.body, decrypted: got.decrypted },
          { eventId: sent.eventId, body: 'hello to both devices', decrypted: true },
        );
      }
      passed = true;
    });
  },
);
