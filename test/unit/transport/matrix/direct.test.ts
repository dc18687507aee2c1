import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MatrixClient } from 'matrix-js-sdk';
import { DirectRooms } from '../../../../src/transport/matrix/direct.ts';

/** Direct rooms over a client that creates rooms at once and joins them; `ready` is held. */
function directRooms() {
  const ready = Promise.withResolvers<undefined>();
  let created = 0;
  const client = {
    createRoom: () => Promise.resolve({ room_id: `!dm${String(++created)}:hs` }),
    getRoom: () => ({ getMyMembership: () => 'join' }),
    getAccountData: () => undefined,
    setAccountData: () => Promise.resolve({}),
  } as unknown as MatrixClient;
  const rooms = new DirectRooms({
    userId: '@me:hs',
    encryption: true,
    client: () => client,
    isWorkspace: () => false,
    created: () => undefined,
    ready: () => ready.promise,
    log: () => undefined,
  });
  return { rooms, ready, created: () => created };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const never = new AbortController().signal;

test('a send made while the direct room is being set up waits for it, so it cannot overtake the first', async () => {
  const { rooms, ready, created } = directRooms();
  const order: string[] = [];
  const first = rooms.roomFor('@peer:hs', never).then((room) => order.push(`first ${room}`));
  await tick();
  // The room exists and is joined now, but not ready (m.direct written, encryption known).
  const second = rooms.roomFor('@peer:hs', never).then((room) => order.push(`second ${room}`));
  await tick();
  assert.deepEqual(order, [], 'nobody may send into a room that is not ready');
  ready.resolve(undefined);
  await Promise.all([first, second]);
  assert.deepEqual(order, ['first !dm1:hs', 'second !dm1:hs']);
  assert.equal(created(), 1, 'one room for both');
  assert.equal(await rooms.roomFor('@peer:hs', never), '!dm1:hs', 'then the known room at once');
});

/** A client whose rooms have the memberships given, recording what is asked of it. */
function client(memberships: Map<string, string>, calls: string[]): MatrixClient {
  let direct: Record<string, unknown> = {};
  return {
    getRoom: (roomId: string) =>
      memberships.has(roomId) ? { getMyMembership: () => memberships.get(roomId) } : null,
    createRoom: () => {
      calls.push('createRoom');
      return Promise.resolve({ room_id: '!new:x.org' });
    },
    joinRoom: (roomId: string) => {
      calls.push(`join ${roomId}`);
      memberships.set(roomId, 'join');
      return Promise.resolve({});
    },
    getAccountData: () => ({ getContent: () => direct }),
    setAccountData: (_type: string, content: Record<string, unknown>) => {
      calls.push(`m.direct ${JSON.stringify(content)}`);
      direct = content;
      return Promise.resolve({});
    },
  } as unknown as MatrixClient;
}

function rooms(memberships: Map<string, string>, calls: string[]): DirectRooms {
  const c = client(memberships, calls);
  return new DirectRooms({
    userId: '@bot:x.org',
    encryption: true,
    client: () => c,
    isWorkspace: () => false,
    created: () => undefined,
    ready: () => Promise.resolve(),
    log: () => undefined,
  });
}

test('after a restart, a direct room m.direct named before it synced as joined is used, not a new one', async () => {
  const memberships = new Map([['!dm:x.org', 'invite']]);
  const calls: string[] = [];
  const direct = rooms(memberships, calls);
  // m.direct arrives in the sync before the room's membership does.
  direct.learn({ '@alice:x.org': ['!dm:x.org'] });
  memberships.set('!dm:x.org', 'join');
  assert.equal(await direct.roomFor('@alice:x.org', AbortSignal.timeout(1000)), '!dm:x.org');
  assert.deepEqual(calls, []);
});

test('an invitation to a direct room is listed in m.direct before it is joined', async () => {
  const calls: string[] = [];
  await rooms(new Map(), calls).acceptInvite('!dm:x.org', '@alice:x.org');
  // Killed between the two, the next process finds the invitation again; the other way round,
  // a joined room it never knew as direct.
  assert.deepEqual(calls, ['m.direct {"@alice:x.org":["!dm:x.org"]}', 'join !dm:x.org']);
});
