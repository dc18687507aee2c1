/**
 * The dev homeserver is for matrix-js-sdk: this runs the real SDK against it (no encryption
 * yet) — register through UIA, sync, create a room with an invite, join, send, receive — and
 * checks that nothing the SDK asks for is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ClientEvent,
  createClient,
  RoomEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';
import { startHomeserver, type Homeserver } from '../../../src/devserver/homeserver.ts';
import { register } from '../../support/devserver.ts';

/**
 * matrix-js-sdk 43 arms a timer per request with a local timeout (every /sync) and never clears
 * it (http-api/utils.js timeoutSignal), so a process that has stopped its client still lives
 * for up to ~110 s. Unref those timers so this test file can end; the Matrix transport will
 * need its own answer (see the issue 3 note).
 */
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = ((handler: () => void, ms?: number) => {
  const timer = realSetTimeout(handler, ms);
  if (new Error().stack?.includes('matrix-js-sdk/lib/http-api/utils.js')) timer.unref();
  return timer;
}) as typeof setTimeout;

/** The SDK's debug chatter off; its warnings and errors still show. */
const quiet: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (...args: unknown[]) => {
    console.warn(...args);
  },
  error: (...args: unknown[]) => {
    console.error(...args);
  },
  getChild: () => quiet,
};

describe('dev homeserver: matrix-js-sdk as the client', () => {
  let hs: Homeserver;
  const clients: MatrixClient[] = [];
  const refused: string[] = [];

  const client = async (name: string): Promise<MatrixClient> => {
    const { userId, token } = await register(hs, name);
    const c = createClient({
      baseUrl: hs.url,
      userId,
      accessToken: token,
      logger: quiet,
      fetchFn: async (input, init) => {
        const response = await fetch(input, init);
        // 401 is the UIA challenge, and unstable (MSC) endpoints may be absent as on any
        // homeserver; anything else 4xx/5xx means the server lacks something.
        const url =
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        const optional = url.includes('/unstable/') && response.status === 404;
        if (response.status >= 400 && response.status !== 401 && !optional)
          refused.push(`${String(response.status)} ${url}`);
        return response;
      },
    });
    const prepared = new Promise<void>((resolve) => {
      c.on(ClientEvent.Sync, (state) => {
        if (state === SyncState.Prepared) resolve();
      });
    });
    await c.startClient({ initialSyncLimit: 10 });
    await prepared;
    clients.push(c);
    return c;
  };

  before(async () => {
    hs = await startHomeserver();
  });
  after(async () => {
    for (const c of clients) c.stopClient();
    await hs.close();
  });

  it('syncs, creates a room, invites, joins and delivers a message', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const invited = new Promise<string>((resolve) => {
      bob.on(RoomEvent.MyMembership, (room, membership) => {
        if (membership === 'invite') resolve(room.roomId);
      });
    });
    const { room_id: roomId } = await alice.createRoom({
      name: 'sdk',
      invite: [bob.getSafeUserId()],
    });
    assert.equal(await invited, roomId);
    await bob.joinRoom(roomId);
    const received = new Promise<string>((resolve) => {
      bob.on(RoomEvent.Timeline, (event: MatrixEvent) => {
        if (event.getType() === 'm.room.message' && event.getSender() === alice.getUserId())
          resolve(String(event.getContent().body));
      });
    });
    await alice.sendTextMessage(roomId, 'hello from matrix-js-sdk');
    assert.equal(await received, 'hello from matrix-js-sdk');
    assert.deepEqual(refused, []);
  });
});
