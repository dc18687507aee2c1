/**
 * The development homeserver (design.md §7): the Client-Server API subset matrix-js-sdk uses,
 * on loopback, persisted in SQLite. For development, tests and the demo — never production.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Accounts } from './accounts.ts';
import { accountRoutes } from './client-auth.ts';
import { roomRoutes } from './client-rooms.ts';
import { syncRoutes } from './client-sync.ts';
import { AccountData } from './account-data.ts';
import { Syncer } from './sync.ts';
import { keyRoutes } from './client-keys.ts';
import { Keys } from './keys.ts';
import { miscRoutes } from './client-misc.ts';
import { Media } from './media.ts';
import { RateLimiter, type RateLimitOptions } from './rate-limit.ts';
import { Notifier } from './notifier.ts';
import { RoomStore } from './room-store.ts';
import { Rooms } from './rooms.ts';
import { currentPath } from './legacy-paths.ts';
import { MatrixError } from './matrix-error.ts';
import { Router, type Request } from './router.ts';
import { Profiles } from './profiles.ts';
import { Presence, presenceRoutes } from './presence.ts';
import { KeyBackups, keyBackupRoutes } from './key-backup.ts';
import { openStore } from './store.ts';
import { InteractiveAuth } from './uia.ts';

/** How to run it. */
export interface HomeserverOptions {
  /** Data directory; in memory when absent. */
  readonly dataDir?: string;
  /** Port; 0 picks a free one. */
  readonly port?: number;
  /** Interface to bind; loopback unless told otherwise. */
  readonly host?: string;
  /** The server name in user ids (default: localhost). */
  readonly serverName?: string;
  /** Synapse-like rate limits on sends, logins and room creation (off when absent). */
  readonly rateLimit?: RateLimitOptions;
}

/** A running homeserver. */
export interface Homeserver {
  readonly url: string;
  readonly serverName: string;
  /** Fault injection for tests (never reachable over HTTP). */
  readonly faults: {
    /** Hold back (or release) a user's to-device messages, e.g. the room keys sent to them. */
    holdToDevice(userId: string, hold: boolean): void;
  };
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

/** Start a homeserver; resolves once it listens. */
export async function startHomeserver(options: HomeserverOptions = {}): Promise<Homeserver> {
  const serverName = options.serverName ?? 'localhost';
  const db = openStore(options.dataDir);
  const router = new Router();
  const notifier = new Notifier();
  const keys = new Keys(db, () => {
    notifier.notify();
  });
  const accounts = new Accounts(db, serverName, (userId) => {
    keys.deviceListChanged(userId);
  });
  const profiles = new Profiles(db);
  const rooms = new Rooms(
    new RoomStore(db, (event) => {
      notifier.notify(event.stream);
    }),
    serverName,
    (userId) => profiles.get(userId),
  );
  const accountData = new AccountData(db, () => {
    notifier.notify();
  });
  const uia = new InteractiveAuth();
  const presence = new Presence(db, () => {
    notifier.notify();
  });
  accountRoutes(router, accounts, uia, profiles, serverName);
  roomRoutes(router, accounts, rooms);
  syncRoutes(
    router,
    accounts,
    rooms,
    accountData,
    new Syncer(rooms.store, accountData, keys, notifier, presence),
  );
  presenceRoutes(router, accounts, presence);
  keyBackupRoutes(router, accounts, new KeyBackups(db));
  keyRoutes(router, accounts, keys, uia);
  miscRoutes(router, db, accounts, rooms, profiles);
  const media = new Media(db, accounts, serverName);
  const limiter = new RateLimiter(options.rateLimit);
  const server = createServer((req, res) => {
    void handle(router, media, limiter, req, res);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  }).catch((error: unknown) => {
    // Port taken, or no such interface: nothing may stay open (the caller may retry).
    db.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${String(port)}`,
    serverName,
    faults: {
      holdToDevice: (userId, hold) => {
        keys.holdToDevice(userId, hold);
      },
    },
    close: () =>
      closeServer(server).finally(() => {
        db.close();
      }),
  };
}

/**
 * Requests that cost a rate-limit token, as Synapse limits messages, logins and room creation.
 * Registration is left unlimited: test suites create many accounts from one address.
 */
const LIMITED = /\/(send|sendToDevice|createRoom|login)\b/;

/** Spec v1.11 "Web Browser Clients": on every response, so browser clients may call us. */
const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization',
};

async function handle(
  router: Router,
  media: Media,
  limiter: RateLimiter,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    url.pathname = currentPath(url.pathname);
    const method = req.method ?? 'GET';
    // A browser's preflight: the CORS headers are the whole answer, whatever the path.
    if (method === 'OPTIONS') {
      reply(res, 200, {});
      return;
    }
    if (method !== 'GET' && LIMITED.test(url.pathname))
      limiter.take(accessToken(req, url) ?? req.socket.remoteAddress ?? '');
    if (await media.handle(method, url, req, res)) return;
    const { handler, params } = router.match(method, url.pathname);
    const request: Request = {
      method: req.method ?? 'GET',
      params,
      query: url.searchParams,
      body: await readBody(req),
      raw: req,
      token: accessToken(req, url),
    };
    reply(res, 200, await handler(request));
  } catch (error) {
    const matrix =
      error instanceof MatrixError
        ? error
        : new MatrixError(500, 'M_UNKNOWN', `internal error: ${(error as Error).message}`);
    reply(res, matrix.status, matrix.body());
  }
}

/** Spec: `Authorization: Bearer TOKEN`, or the deprecated `access_token` query parameter. */
function accessToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  return url.searchParams.get('access_token') ?? undefined;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw new MatrixError(413, 'M_TOO_LARGE', `request body over ${String(MAX_BODY)} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (chunks.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new MatrixError(400, 'M_NOT_JSON', 'the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MatrixError(400, 'M_BAD_JSON', 'the request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}
