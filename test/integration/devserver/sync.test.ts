import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHomeserver, type Homeserver } from '../../../src/devserver/homeserver.ts';
import { call, register } from '../../support/devserver.ts';

const C = '/_matrix/client/v3';
type Json = Record<string, unknown>;
const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, key) => (v as Json | undefined)?.[key], value);
const bodies = (section: unknown): string[] =>
  ((at(section, 'timeline', 'events') ?? []) as { content: { body?: string } }[]).flatMap((e) =>
    e.content.body ? [e.content.body] : [],
  );

describe('dev homeserver: /sync', () => {
  let hs: Homeserver;
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };
  let roomId = '';
  const room = (): string => encodeURIComponent(roomId);
  const say = (token: string, text: string, txn: string) =>
    call(
      hs,
      'PUT',
      `${C}/rooms/${room()}/send/m.room.message/${txn}`,
      { msgtype: 'm.text', body: text },
      token,
    );

  before(async () => {
    hs = await startHomeserver();
    alice = await register(hs, 'alice');
    bob = await register(hs, 'bob');
    roomId = String(
      (await call(hs, 'POST', `${C}/createRoom`, { name: 'sync' }, alice.token)).body.room_id,
    );
  });
  after(async () => {
    await hs.close();
  });

  it('gives an initial sync with the room state, and refuses a foreign since token', async () => {
    await say(alice.token, 'hello', 'a1');
    const r = await call(hs, 'GET', `${C}/sync`, undefined, alice.token);
    assert.equal(r.status, 200);
    const section = at(r.body, 'rooms', 'join', roomId);
    assert.deepEqual(bodies(section), ['hello']);
    const state = at(section, 'state', 'events') as { type: string }[];
    const timeline = at(section, 'timeline', 'events') as { type: string }[];
    const types = new Set([...state, ...timeline].map((e) => e.type));
    for (const type of ['m.room.create', 'm.room.power_levels', 'm.room.name'])
      assert.ok(types.has(type), type);
    assert.match(String(r.body.next_batch), /^s\d+_a\d+_d\d+_k\d+_p\d+$/);
    const bad = await call(hs, 'GET', `${C}/sync?since=nonsense`, undefined, alice.token);
    assert.deepEqual([bad.status, bad.body.errcode], [400, 'M_INVALID_PARAM']);
  });

  it('relays presence to users who share a room, and to no one else', async () => {
    const carol = await register(hs, 'carol-presence');
    const shared = String(
      (await call(hs, 'POST', `${C}/createRoom`, { preset: 'public_chat' }, alice.token)).body
        .room_id,
    );
    await call(hs, 'POST', `${C}/join/${encodeURIComponent(shared)}`, {}, bob.token);
    const sinceBob = String(
      (await call(hs, 'GET', `${C}/sync`, undefined, bob.token)).body.next_batch,
    );
    const sinceCarol = String(
      (await call(hs, 'GET', `${C}/sync`, undefined, carol.token)).body.next_batch,
    );
    const path = `${C}/presence/${encodeURIComponent(alice.userId)}/status`;
    const set = await call(
      hs,
      'PUT',
      path,
      { presence: 'unavailable', status_msg: 'lunch' },
      alice.token,
    );
    assert.equal(set.status, 200);
    const seen = await call(
      hs,
      'GET',
      `${C}/sync?since=${sinceBob}&timeout=0`,
      undefined,
      bob.token,
    );
    const events = at(seen.body, 'presence', 'events') as { sender: string; content: Json }[];
    assert.deepEqual(
      events.map((e) => [e.sender, e.content.presence, e.content.status_msg]),
      [[alice.userId, 'unavailable', 'lunch']],
    );
    const unseen = await call(
      hs,
      'GET',
      `${C}/sync?since=${sinceCarol}&timeout=0`,
      undefined,
      carol.token,
    );
    assert.deepEqual(at(unseen.body, 'presence', 'events'), []);
    const got = await call(hs, 'GET', path, undefined, bob.token);
    assert.deepEqual([got.body.presence, got.body.status_msg], ['unavailable', 'lunch']);
    const bad = await call(hs, 'PUT', path, { presence: 'asleep' }, alice.token);
    assert.deepEqual([bad.status, bad.body.errcode], [400, 'M_BAD_JSON']);
    const foreign = await call(hs, 'PUT', path, { presence: 'online' }, bob.token);
    assert.equal(foreign.status, 403);
  });

  it('long-polls: an incremental sync returns as soon as a message arrives', async () => {
    const since = String(
      (await call(hs, 'GET', `${C}/sync`, undefined, alice.token)).body.next_batch,
    );
    const started = Date.now();
    const waiting = call(
      hs,
      'GET',
      `${C}/sync?since=${since}&timeout=10000`,
      undefined,
      alice.token,
    );
    await new Promise((r) => setTimeout(r, 100));
    await say(alice.token, 'ping', 'a2');
    const r = await waiting;
    assert.deepEqual(bodies(at(r.body, 'rooms', 'join', roomId)), ['ping']);
    const [ping] = at(r.body, 'rooms', 'join', roomId, 'timeline', 'events') as Json[];
    assert.deepEqual(
      ping?.unsigned,
      { transaction_id: 'a2' },
      'the sending device gets its transaction id back',
    );
    assert.ok(Date.now() - started < 5000);
    const quiet = await call(
      hs,
      'GET',
      `${C}/sync?since=${String(r.body.next_batch)}&timeout=200`,
      undefined,
      alice.token,
    );
    assert.deepEqual(at(quiet.body, 'rooms', 'join'), {});
  });

  it('reports an invite with stripped state, then the joined room with its full state and recent timeline', async () => {
    const since = String(
      (await call(hs, 'GET', `${C}/sync`, undefined, bob.token)).body.next_batch,
    );
    await call(hs, 'POST', `${C}/rooms/${room()}/invite`, { user_id: bob.userId }, alice.token);
    await say(alice.token, 'while you were invited', 'inv1');
    const invited = await call(
      hs,
      'GET',
      `${C}/sync?since=${since}&timeout=5000`,
      undefined,
      bob.token,
    );
    const stripped = at(invited.body, 'rooms', 'invite', roomId, 'invite_state', 'events') as {
      type: string;
      state_key: string;
    }[];
    assert.ok(stripped.some((e) => e.type === 'm.room.member' && e.state_key === bob.userId));
    assert.ok(stripped.some((e) => e.type === 'm.room.name'));
    await call(hs, 'POST', `${C}/join/${room()}`, {}, bob.token);
    const joined = await call(
      hs,
      'GET',
      `${C}/sync?since=${String(invited.body.next_batch)}&timeout=5000`,
      undefined,
      bob.token,
    );
    const section = at(joined.body, 'rooms', 'join', roomId);
    const state = at(section, 'state', 'events') as { type: string }[];
    assert.ok(
      state.some((e) => e.type === 'm.room.create'),
      'a fresh join brings the room state',
    );
    // As Synapse: a room joined since the last sync comes with its recent timeline, so what
    // was written before the join (here: before that last sync) is not skipped.
    assert.ok(bodies(section).includes('while you were invited'), JSON.stringify(bodies(section)));
  });

  it('limits the timeline per filter and pages back with prev_batch', async () => {
    for (let i = 0; i < 5; i++) await say(alice.token, `n${String(i)}`, `lim${String(i)}`);
    const filter = await call(
      hs,
      'POST',
      `${C}/user/${encodeURIComponent(alice.userId)}/filter`,
      { room: { timeline: { limit: 2 } } },
      alice.token,
    );
    const r = await call(
      hs,
      'GET',
      `${C}/sync?filter=${String(filter.body.filter_id)}`,
      undefined,
      alice.token,
    );
    const section = at(r.body, 'rooms', 'join', roomId);
    assert.deepEqual(bodies(section), ['n3', 'n4']);
    assert.equal(at(section, 'timeline', 'limited'), true);
    const back = await call(
      hs,
      'GET',
      `${C}/rooms/${room()}/messages?dir=b&limit=1&from=${String(at(section, 'timeline', 'prev_batch'))}`,
      undefined,
      alice.token,
    );
    assert.deepEqual(
      (back.body.chunk as { content: { body: string } }[]).map((e) => e.content.body),
      ['n2'],
    );
  });

  it('syncs global and room account data, and reports a leave', async () => {
    const since = String(
      (await call(hs, 'GET', `${C}/sync`, undefined, bob.token)).body.next_batch,
    );
    const user = encodeURIComponent(bob.userId);
    await call(
      hs,
      'PUT',
      `${C}/user/${user}/account_data/m.direct`,
      { [alice.userId]: [roomId] },
      bob.token,
    );
    await call(
      hs,
      'PUT',
      `${C}/user/${user}/rooms/${room()}/account_data/m.tag`,
      { tags: {} },
      bob.token,
    );
    const r = await call(hs, 'GET', `${C}/sync?since=${since}`, undefined, bob.token);
    assert.deepEqual(at(r.body, 'account_data', 'events'), [
      { type: 'm.direct', content: { [alice.userId]: [roomId] } },
    ]);
    assert.deepEqual(at(r.body, 'rooms', 'join', roomId, 'account_data', 'events'), [
      { type: 'm.tag', content: { tags: {} } },
    ]);
    const other = await call(
      hs,
      'PUT',
      `${C}/user/${encodeURIComponent(alice.userId)}/account_data/x`,
      {},
      bob.token,
    );
    assert.equal(other.status, 403);
    await call(hs, 'POST', `${C}/rooms/${room()}/leave`, {}, bob.token);
    const left = await call(
      hs,
      'GET',
      `${C}/sync?since=${String(r.body.next_batch)}`,
      undefined,
      bob.token,
    );
    assert.ok(at(left.body, 'rooms', 'leave', roomId));
  });
});
