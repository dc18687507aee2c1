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
