/**
 * A plain matrix-js-sdk client (Rust crypto, in memory) as the other side of chat tests: it
 * sends the raw events other clients send (pills, media, edits) and shows the raw content of
 * what our transport sent (fields our own decoding does not surface, like the confirmation).
 */
import {
  ClientEvent,
  createClient,
  MatrixEventEvent,
  RoomEvent,
  RoomMemberEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';
import type { MatrixAccount } from '../../support/matrix-peers.ts';

const quiet: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (...args: unknown[]) => {
    console.error(...args);
  },
  getChild: () => quiet,
};

/** What the peer saw of one event, decrypted. */
export interface SeenEvent {
  readonly id: string;
  readonly sender: string;
  readonly type: string;
  readonly content: Record<string, unknown>;
  readonly encrypted: boolean;
}

/** A running SDK peer. */
export interface SdkPeer {
  readonly client: MatrixClient;
  readonly userId: string;
  /** Join a room by alias or id; resolves once it is synced with its encryption known. */
  join(room: string): Promise<string>;
  /** The first event (past or future) from someone else matching `match`. */
  waitEvent(match: (event: SeenEvent) => boolean, timeoutMs?: number): Promise<SeenEvent>;
  stop(): void;
}

/** Start an SDK peer on an account; invitations are accepted as they come. */
export async function startSdkPeer(homeserver: string, account: MatrixAccount): Promise<SdkPeer> {
  const client = createClient({
    baseUrl: homeserver,
    userId: account.userId,
    deviceId: account.deviceId,
    accessToken: account.accessToken,
    logger: quiet,
  });
  await client.initRustCrypto({ useIndexedDB: false });
  const seen: SeenEvent[] = [];
  const wakers = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...wakers]) w();
  };
  const record = (event: MatrixEvent): void => {
    if (event.getSender() === account.userId || event.isState()) return;
    if (event.isBeingDecrypted() || event.shouldAttemptDecryption()) return;
    seen.push({
      id: event.getId() ?? '',
      sender: event.getSender() ?? '',
      type: event.getType(),
      content: event.getContent(),
      encrypted: event.isEncrypted(),
    });
    wake();
  };
  client.on(RoomEvent.Timeline, (event, _room, toStart) => {
    if (!toStart) record(event);
  });
  client.on(MatrixEventEvent.Decrypted, (event) => {
    if (!event.isDecryptionFailure()) record(event);
  });
  client.on(RoomMemberEvent.Membership, (_event, member) => {
    if (member.userId === account.userId && member.membership === 'invite') {
      void client.joinRoom(member.roomId).catch(() => undefined);
    }
  });
  const prepared = new Promise<void>((resolve) => {
    client.on(ClientEvent.Sync, (state) => {
      if (state === SyncState.Prepared) resolve();
    });
  });
  await client.startClient({ initialSyncLimit: 10 });
  await prepared;
  // Peers encrypt only to devices whose keys the server has: wait until ours are there.
  for (let i = 0; !(await keysPublished(homeserver, account)); i++) {
    if (i === 100) throw new Error(`the SDK peer ${account.userId} published no device keys`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const until = async (done: () => boolean, timeoutMs: number, what: string): Promise<void> => {
    if (done()) return;
    const { promise, resolve, reject } = Promise.withResolvers<undefined>();
    const check = (): void => {
      if (done()) resolve(undefined);
    };
    const timer = setTimeout(() => {
      reject(new Error(`the SDK peer waited ${String(timeoutMs)} ms for ${what}`));
    }, timeoutMs);
    const poll = setInterval(check, 50);
    wakers.add(check);
    try {
      await promise;
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
      wakers.delete(check);
    }
  };

  return {
    client,
    userId: account.userId,
    async join(room) {
      const { roomId } = await client.joinRoom(room);
      await until(
        () => client.getRoom(roomId)?.hasEncryptionStateEvent() === true,
        10_000,
        `the encryption of ${room}`,
      );
      return roomId;
    },
    async waitEvent(match, timeoutMs = 15_000) {
      let found: SeenEvent | undefined;
      await until(() => (found = seen.find(match)) !== undefined, timeoutMs, 'an event');
      return found as SeenEvent;
    },
    stop() {
      client.stopClient();
      client.removeAllListeners();
    },
  };
}

async function keysPublished(homeserver: string, account: MatrixAccount): Promise<boolean> {
  const response = await fetch(`${homeserver}/_matrix/client/v3/keys/query`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${account.accessToken}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ device_keys: { [account.userId]: [account.deviceId] } }),
  });
  const body = (await response.json()) as {
    device_keys?: Record<string, Record<string, unknown>>;
  };
  return body.device_keys?.[account.userId]?.[account.deviceId] !== undefined;
}
