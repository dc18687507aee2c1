import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHomeserver, type Homeserver } from '../../../src/devserver/homeserver.ts';
import { call, register } from '../../support/devserver.ts';

const C = '/_matrix/client/v3';

describe('dev homeserver: rooms (Client-Server API v1.11)', () => {
  let hs: Homeserver;
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };
  before(async () => {
    hs = await startHomeserver();
    alice = await register(hs, 'alice');
    bob = await register(hs, 'bob');
  });
  after(async () => {
    await hs.close();
  });

  it('creates an encrypted private room with initial state, name and an alias', async () => {
    const created = await call(
      hs,
      'POST',
      `${C}/createRoom`,
      {
        name: 'work',
        room_alias_name: 'work',
        initial_state: [
          {
            type: 'm.room.encryption',
            state_key: '',
            content: { algorithm: 'm.megolm.v1.aes-sha2' },
          },
        ],
      },
      alice.token,
    );
    assert.equal(created.status, 200);
    assert.equal(created.body.room_alias, '#work:localhost');
    const roomId = String(created.body.room_id);
    const enc = await call(
      hs,
      'GET',
      `${C}/rooms/${encodeURIComponent(roomId)}/state/m.room.encryption/`,
      undefined,
      alice.token,
    );
    assert.deepEqual(enc.body, { algorithm: 'm.megolm.v1.aes-sha2' });
    const rules = await call(
      hs,
      'GET',
      `${C}/rooms/${encodeURIComponent(roomId)}/state/m.room.join_rules`,
      undefined,
      alice.token,
    );
    assert.deepEqual(rules.body, { join_rule: 'invite' });
    const alias = await call(
      hs,
      'GET',
      `${C}/directory/room/${encodeURIComponent('#work:localhost')}`,
    );
    assert.equal(alias.body.room_id, roomId);
    const taken = await call(hs, 'POST', `${C}/createRoom`, { room_alias_name: 'work' }, bob.token);
    assert.deepEqual([taken.status, taken.body.errcode], [400, 'M_ROOM_IN_USE']);
  });

  it('lets only invited users into a private room, then exchanges events in order', async () => {
    const roomId = String(
      (await call(hs, 'POST', `${C}/createRoom`, {}, alice.token)).body.room_id,
    );
    const room = encodeURIComponent(roomId);
    const denied = await call(hs, 'POST', `${C}/join/${room}`, {}, bob.token);
    assert.deepEqual([denied.status, denied.body.errcode], [403, 'M_FORBIDDEN']);
    assert.equal(
      (await call(hs, 'POST', `${C}/rooms/${room}/invite`, { user_id: bob.userId }, alice.token))
        .status,
      200,
    );
    assert.equal((await call(hs, 'POST', `${C}/join/${room}`, {}, bob.token)).status, 200);
    const first = await call(
      hs,
      'PUT',
      `${C}/rooms/${room}/send/m.room.message/t1`,
      { msgtype: 'm.text', body: 'one' },
      alice.token,
    );
    const again = await call(
      hs,
      'PUT',
      `${C}/rooms/${room}/send/m.room.message/t1`,
      { msgtype: 'm.text', body: 'one' },
      alice.token,
    );
    assert.equal(
      again.body.event_id,
      first.body.event_id,
      'the same transaction id is the same event',
    );
    await call(
      hs,
      'PUT',
      `${C}/rooms/${room}/send/m.room.message/t2`,
      { msgtype: 'm.text', body: 'two' },
      bob.token,
    );
    const back = await call(
      hs,
      'GET',
      `${C}/rooms/${room}/messages?dir=b&limit=2`,
      undefined,
      bob.token,
    );
    assert.deepEqual(
      (back.body.chunk as { content: { body: string } }[]).map((e) => e.content.body),
      ['two', 'one'],
    );
    const older = await call(
      hs,
      'GET',
      `${C}/rooms/${room}/messages?dir=b&limit=100&from=${String(back.body.end)}`,
      undefined,
      bob.token,
    );
    assert.ok((older.body.chunk as { type: string }[]).some((e) => e.type === 'm.room.create'));
    const members = await call(
      hs,
      'GET',
      `${C}/rooms/${room}/joined_members`,
      undefined,
      alice.token,
    );
    assert.deepEqual(
      Object.keys(members.body.joined as object).sort(),
      [alice.userId, bob.userId].sort(),
    );
    assert.equal((await call(hs, 'POST', `${C}/rooms/${room}/leave`, {}, bob.token)).status, 200);
    const gone = await call(hs, 'GET', `${C}/rooms/${room}/messages`, undefined, bob.token);
    assert.equal(gone.status, 403);
  });

  it('names members by their profile in member events and joined_members, and follows changes', async () => {
    const carol = await register(hs, 'carol');
    const roomId = String(
      (await call(hs, 'POST', `${C}/createRoom`, { invite: [carol.userId] }, alice.token)).body
        .room_id,
    );
    const room = encodeURIComponent(roomId);
    const memberEvent = async (userId: string): Promise<Record<string, unknown>> =>
      (
        await call(
          hs,
          'GET',
          `${C}/rooms/${room}/state/m.room.member/${encodeURIComponent(userId)}`,
          undefined,
          alice.token,
        )
      ).body;
    // A new account is named by its localpart, as on Synapse and Conduit.
    assert.deepEqual(await memberEvent(carol.userId), {
      membership: 'invite',
      displayname: 'carol',
    });
    await call(hs, 'POST', `${C}/join/${room}`, {}, carol.token);
    const joined = async (): Promise<unknown> =>
      (await call(hs, 'GET', `${C}/rooms/${room}/joined_members`, undefined, alice.token)).body
        .joined;
    assert.deepEqual(await joined(), {
      [alice.userId]: { display_name: 'alice' },
      [carol.userId]: { display_name: 'carol' },
    });
    const profile = `${C}/profile/${encodeURIComponent(carol.userId)}`;
    await call(hs, 'PUT', `${profile}/displayname`, { displayname: 'Carol C' }, carol.token);
    await call(
      hs,
      'PUT',
      `${profile}/avatar_url`,
      { avatar_url: 'mxc://localhost/a' },
      carol.token,
    );
    assert.deepEqual(await memberEvent(carol.userId), {
      membership: 'join',
      displayname: 'Carol C',
      avatar_url: 'mxc://localhost/a',
    });
    assert.deepEqual(await joined(), {
      [alice.userId]: { display_name: 'alice' },
      [carol.userId]: { display_name: 'Carol C', avatar_url: 'mxc://localhost/a' },
    });
  });

  it('enforces power levels on state, and owned state keys', async () => {
    const roomId = String(
      (await call(hs, 'POST', `${C}/createRoom`, { preset: 'public_chat' }, alice.token)).body
        .room_id,
    );
    const room = encodeURIComponent(roomId);
    assert.equal((await call(hs, 'POST', `${C}/join/${room}`, {}, bob.token)).status, 200);
    const name = await call(
      hs,
      'PUT',
      `${C}/rooms/${room}/state/m.room.name/`,
      { name: 'x' },
      bob.token,
    );
    assert.deepEqual([name.status, name.body.errcode], [403, 'M_FORBIDDEN']);
    const card = await call(
      hs,
      'PUT',
      `${C}/rooms/${room}/state/org.mxagent.card/${encodeURIComponent(bob.userId)}`,
      { ok: true },
      bob.token,
    );
    assert.equal(card.status, 403, 'state_default is 50');
    const levels = await call(
      hs,
      'GET',
      `${C}/rooms/${room}/state/m.room.power_levels/`,
      undefined,
      alice.token,
    );
    const raised = {
      ...levels.body,
      users: { ...(levels.body.users as object), [bob.userId]: 50 },
    };
    assert.equal(
      (await call(hs, 'PUT', `${C}/rooms/${room}/state/m.room.power_levels/`, raised, alice.token))
        .status,
      200,
    );
    assert.equal(
      (
        await call(
          hs,
          'PUT',
          `${C}/rooms/${room}/state/org.mxagent.card/${encodeURIComponent(bob.userId)}`,
          { ok: true },
          bob.token,
        )
      ).status,
      200,
    );
    const notHis = await call(
      hs,
      'PUT',
      `${C}/rooms/${room}/state/org.mxagent.card/${encodeURIComponent(alice.userId)}`,
      { ok: true },
      bob.token,
    );
    assert.equal(notHis.status, 403, 'a state key that is a user id belongs to that user');
    const grab = await call(
      hs,
      'PUT',
      `${C}/rooms/${room}/state/m.room.power_levels/`,
      { ...raised, users: { ...raised.users, [bob.userId]: 100 } },
      bob.token,
    );
    assert.equal(grab.status, 403);
  });

  it('lists public rooms in the directory', async () => {
    const created = await call(
      hs,
      'POST',
      `${C}/createRoom`,
      { visibility: 'public', name: 'lobby', topic: 'hello' },
      alice.token,
    );
    const listing = await call(hs, 'GET', `${C}/publicRooms`);
    const entry = (
      listing.body.chunk as { room_id: string; name?: string; topic?: string; join_rule?: string }[]
    ).find((r) => r.room_id === created.body.room_id);
    assert.deepEqual([entry?.name, entry?.topic, entry?.join_rule], ['lobby', 'hello', 'public']);
  });
});
