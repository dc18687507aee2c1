import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHomeserver, type Homeserver } from '../../../src/devserver/homeserver.ts';
import { call, register } from '../../support/devserver.ts';

const C = '/_matrix/client/v3';

interface Chunk {
  room_id: string;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  room_type?: string;
  join_rule?: string;
  num_joined_members: number;
}

describe('dev homeserver: the room directory (Client-Server API v1.11, "Listing rooms")', () => {
  let hs: Homeserver;
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };
  const rooms = { agents: '', people: '', hidden: '', closed: '' };
  const create = async (body: Record<string, unknown>, token = alice.token): Promise<string> => {
    const r = await call(hs, 'POST', `${C}/createRoom`, body, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return String(r.body.room_id);
  };
  const list = async (
    body: Record<string, unknown>,
    query = '',
  ): Promise<Record<string, unknown>> => {
    const r = await call(hs, 'POST', `${C}/publicRooms${query}`, body, bob.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const names = (body: Record<string, unknown>): (string | undefined)[] =>
    (body.chunk as Chunk[]).map((r) => r.name);

  before(async () => {
    hs = await startHomeserver();
    alice = await register(hs, 'alice');
    bob = await register(hs, 'bob');
    rooms.agents = await create({
      visibility: 'public',
      preset: 'public_chat',
      name: 'Agents',
      topic: 'where the bots are',
      room_alias_name: 'agents',
      creation_content: { type: 'org.mxagent.workspace' },
    });
    rooms.people = await create({ visibility: 'public', name: 'People', topic: 'no bots' });
    rooms.hidden = await create({ preset: 'public_chat', name: 'Hidden' });
    // Published but invite-only: nobody could join it from the directory, so it is not listed.
    rooms.closed = await create({ visibility: 'public', preset: 'private_chat', name: 'Closed' });
    await call(hs, 'POST', `${C}/join/${encodeURIComponent(rooms.people)}`, {}, bob.token);
  });
  after(async () => {
    await hs.close();
  });

  it('lists published joinable rooms, largest first, with their room type', async () => {
    const body = await list({});
    assert.deepEqual(names(body), ['People', 'Agents']);
    const agents = (body.chunk as Chunk[])[1];
    assert.deepEqual(agents, {
      room_id: rooms.agents,
      num_joined_members: 1,
      world_readable: false,
      guest_can_join: false,
      join_rule: 'public',
      name: 'Agents',
      topic: 'where the bots are',
      canonical_alias: '#agents:localhost',
      room_type: 'org.mxagent.workspace',
    });
    assert.equal(body.total_room_count_estimate, 2);
    const get = await call(hs, 'GET', `${C}/publicRooms`);
    assert.deepEqual(get.body.chunk, body.chunk, 'GET needs no access token and lists the same');
  });

  it('filters by a search term in name, topic or alias, and by room type', async () => {
    assert.deepEqual(names(await list({ filter: { generic_search_term: 'BOTS' } })), [
      'People',
      'Agents',
    ]);
    assert.deepEqual(names(await list({ filter: { generic_search_term: '#agents:' } })), [
      'Agents',
    ]);
    assert.deepEqual(names(await list({ filter: { generic_search_term: 'nobody' } })), []);
    assert.deepEqual(names(await list({ filter: { room_types: ['org.mxagent.workspace'] } })), [
      'Agents',
    ]);
    assert.deepEqual(names(await list({ filter: { room_types: [null] } })), ['People']);
  });

  it('pages with limit and since, forwards and back', async () => {
    const first = await list({ limit: 1 });
    assert.deepEqual(names(first), ['People']);
    assert.equal(first.prev_batch, undefined);
    assert.equal(typeof first.next_batch, 'string');
    const second = await list({ limit: 1, since: first.next_batch });
    assert.deepEqual(names(second), ['Agents']);
    assert.equal(second.next_batch, undefined, 'no more rooms');
    const back = await list({ limit: 1, since: second.prev_batch });
    assert.deepEqual(names(back), ['People']);
    const get = await call(
      hs,
      'GET',
      `${C}/publicRooms?limit=1&since=${encodeURIComponent(String(first.next_batch))}`,
    );
    assert.deepEqual(names(get.body), ['Agents']);
    const bad = await call(hs, 'POST', `${C}/publicRooms`, { since: 'nonsense' }, bob.token);
    assert.deepEqual([bad.status, bad.body.errcode], [400, 'M_INVALID_PARAM']);
    const badLimit = await call(hs, 'GET', `${C}/publicRooms?limit=many`);
    assert.deepEqual([badLimit.status, badLimit.body.errcode], [400, 'M_INVALID_PARAM']);
  });

  it('answers for its own server only, and wants a token for POST', async () => {
    assert.deepEqual(names(await list({}, '?server=localhost')), ['People', 'Agents']);
    const remote = await call(hs, 'POST', `${C}/publicRooms?server=example.org`, {}, bob.token);
    assert.deepEqual([remote.status, remote.body.errcode], [502, 'M_UNKNOWN']);
    const invalid = await call(hs, 'GET', `${C}/publicRooms?server=${encodeURIComponent('a b')}`);
    assert.deepEqual([invalid.status, invalid.body.errcode], [400, 'M_INVALID_PARAM']);
    const anonymous = await call(hs, 'POST', `${C}/publicRooms`, {});
    assert.deepEqual([anonymous.status, anonymous.body.errcode], [401, 'M_MISSING_TOKEN']);
  });

  it('publishes and unpublishes a room for those who may set its alias', async () => {
    const path = `${C}/directory/list/room/${encodeURIComponent(rooms.hidden)}`;
    assert.deepEqual((await call(hs, 'GET', path)).body, { visibility: 'private' });
    await call(hs, 'POST', `${C}/join/${encodeURIComponent(rooms.hidden)}`, {}, bob.token);
    const denied = await call(hs, 'PUT', path, { visibility: 'public' }, bob.token);
    assert.deepEqual([denied.status, denied.body.errcode], [403, 'M_FORBIDDEN']);
    // Spec: visibility defaults to public.
    assert.equal((await call(hs, 'PUT', path, {}, alice.token)).status, 200);
    assert.deepEqual((await call(hs, 'GET', path)).body, { visibility: 'public' });
    assert.ok(names(await list({})).includes('Hidden'));
    const wrong = await call(hs, 'PUT', path, { visibility: 'secret' }, alice.token);
    assert.deepEqual([wrong.status, wrong.body.errcode], [400, 'M_INVALID_PARAM']);
    assert.equal((await call(hs, 'PUT', path, { visibility: 'private' }, alice.token)).status, 200);
    assert.ok(!names(await list({})).includes('Hidden'));
    const unknown = await call(
      hs,
      'GET',
      `${C}/directory/list/room/${encodeURIComponent('!nope:localhost')}`,
    );
    assert.deepEqual([unknown.status, unknown.body.errcode], [404, 'M_NOT_FOUND']);
  });
});
