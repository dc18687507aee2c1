import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHomeserver, type Homeserver } from '../../../src/devserver/homeserver.ts';
import { call, register, type ApiResponse } from '../../support/devserver.ts';

const C = '/_matrix/client/v3';

type User = { userId: string; token: string };

describe('dev homeserver: presets, invitations and power levels (room version 10 rules)', () => {
  let hs: Homeserver;
  let alice: User;
  let bob: User;
  let carol: User;
  const put = (user: User, roomId: string, type: string, key: string, content: unknown) =>
    call(
      hs,
      'PUT',
      `${C}/rooms/${encodeURIComponent(roomId)}/state/${type}/${encodeURIComponent(key)}`,
      content,
      user.token,
    );
  const get = async (roomId: string, type: string, key = ''): Promise<Record<string, unknown>> =>
    (
      await call(
        hs,
        'GET',
        `${C}/rooms/${encodeURIComponent(roomId)}/state/${type}/${encodeURIComponent(key)}`,
        undefined,
        alice.token,
      )
    ).body;
  const join = (user: User, room: string): Promise<ApiResponse> =>
    call(hs, 'POST', `${C}/join/${encodeURIComponent(room)}`, {}, user.token);
  const invite = (by: User, roomId: string, user: User): Promise<ApiResponse> =>
    call(
      hs,
      'POST',
      `${C}/rooms/${encodeURIComponent(roomId)}/invite`,
      { user_id: user.userId },
      by.token,
    );
  const expectRefused = (r: ApiResponse, errcode = 'M_FORBIDDEN', status = 403): void => {
    assert.deepEqual([r.status, r.body.errcode], [status, errcode], JSON.stringify(r.body));
  };

  before(async () => {
    hs = await startHomeserver();
    alice = await register(hs, 'alice');
    bob = await register(hs, 'bob');
    carol = await register(hs, 'carol');
  });
  after(async () => {
    await hs.close();
  });

  it('sets join rules by preset, keeps the room type, and admits by alias only the invited', async () => {
    const created = await call(
      hs,
      'POST',
      `${C}/createRoom`,
      {
        preset: 'private_chat',
        room_alias_name: 'secret',
        creation_content: { type: 'org.mxagent.workspace', creator: '@mallory:localhost' },
      },
      alice.token,
    );
    const roomId = String(created.body.room_id);
    assert.deepEqual(await get(roomId, 'm.room.join_rules'), { join_rule: 'invite' });
    const create = await get(roomId, 'm.room.create');
    assert.deepEqual([create.type, create.creator], ['org.mxagent.workspace', alice.userId]);
    expectRefused(await join(bob, '#secret:localhost'));
    assert.equal((await invite(alice, roomId, bob)).status, 200);
    assert.equal((await invite(alice, roomId, bob)).status, 200, 'inviting again changes nothing');
    assert.equal((await join(bob, '#secret:localhost')).status, 200);
    expectRefused(await invite(alice, roomId, bob), 'M_FORBIDDEN');

    const open = await call(hs, 'POST', `${C}/createRoom`, { preset: 'public_chat' }, alice.token);
    const openId = String(open.body.room_id);
    assert.deepEqual(await get(openId, 'm.room.join_rules'), { join_rule: 'public' });
    assert.equal((await join(carol, openId)).status, 200);
    const bad = await call(hs, 'POST', `${C}/createRoom`, { creation_content: 'x' }, alice.token);
    expectRefused(bad, 'M_BAD_JSON', 400);
  });

  it('checks state events against the level of their type, and invitations against invite', async () => {
    const created = await call(
      hs,
      'POST',
      `${C}/createRoom`,
      {
        preset: 'public_chat',
        power_level_content_override: {
          state_default: 0,
          invite: 50,
          events: { 'org.mxagent.agent.card': 10, 'm.room.power_levels': 100 },
        },
      },
      alice.token,
    );
    const roomId = String(created.body.room_id);
    await join(bob, roomId);
    expectRefused(await put(bob, roomId, 'org.mxagent.agent.card', 'x', { name: 'b' }));
    assert.equal((await put(bob, roomId, 'org.mxagent.notes', 'x', { a: 1 })).status, 200);
    expectRefused(await invite(bob, roomId, carol));
    const levels = await get(roomId, 'm.room.power_levels');
    const users = levels.users as Record<string, number>;
    const raise = await put(alice, roomId, 'm.room.power_levels', '', {
      ...levels,
      users: { ...users, [bob.userId]: 10 },
    });
    assert.equal(raise.status, 200);
    assert.equal(
      (await put(bob, roomId, 'org.mxagent.agent.card', 'x', { name: 'b' })).status,
      200,
    );
  });

  it('refuses power level changes above the sender, or of users at or above it', async () => {
    const roomId = String(
      (await call(hs, 'POST', `${C}/createRoom`, { preset: 'public_chat' }, alice.token)).body
        .room_id,
    );
    await join(bob, roomId);
    await join(carol, roomId);
    const base = await get(roomId, 'm.room.power_levels');
    const users = base.users as Record<string, number>;
    const events = base.events as Record<string, number>;
    const withUsers = (extra: Record<string, number>) => ({
      ...base,
      users: { ...users, ...extra },
    });
    // Bob becomes a moderator at 50 who may send power levels.
    const moderated = {
      ...withUsers({ [bob.userId]: 50 }),
      events: { ...events, 'm.room.power_levels': 50 },
    };
    assert.equal((await put(alice, roomId, 'm.room.power_levels', '', moderated)).status, 200);
    const as = (content: unknown) => put(bob, roomId, 'm.room.power_levels', '', content);
    const moderatedUsers = moderated.users;
    expectRefused(await as({ ...moderated, users: { ...moderatedUsers, [carol.userId]: 60 } }));
    expectRefused(await as({ ...moderated, users: { ...moderatedUsers, [alice.userId]: 0 } }));
    expectRefused(
      await as({ ...moderated, events: { ...moderated.events, 'm.room.tombstone': 0 } }),
    );
    expectRefused(await as({ ...moderated, kick: 100 }));
    const granted = { ...moderated, users: { ...moderatedUsers, [carol.userId]: 50 } };
    assert.equal((await as(granted)).status, 200, 'up to its own level');
    expectRefused(
      await as({ ...granted, users: { ...granted.users, [carol.userId]: 0 } }),
      'M_FORBIDDEN',
    );
    const lowered = { ...granted, users: { ...granted.users, [bob.userId]: 10 } };
    assert.equal((await as(lowered)).status, 200, 'a user may lower itself');
    expectRefused(
      await put(alice, roomId, 'm.room.power_levels', '', { ...lowered, kick: 'fifty' }),
      'M_BAD_JSON',
      400,
    );
    expectRefused(
      await put(alice, roomId, 'm.room.power_levels', '', { ...lowered, users: { alice: 100 } }),
      'M_BAD_JSON',
      400,
    );
  });
});
