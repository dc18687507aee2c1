/**
 * Sync-related endpoints of the Client-Server API (v1.11): /sync, filters, account data.
 */
import type { AccountData } from './account-data.ts';
import type { Accounts } from './accounts.ts';
import { MatrixError, badJson, forbidden } from './matrix-error.ts';
import type { Request, Router } from './router.ts';
import type { Rooms } from './rooms.ts';
import { parseSyncToken, type Syncer } from './sync.ts';

const C = '/_matrix/client/v3';
const MAX_TIMEOUT_MS = 60_000;

/** Register /sync, filter and account data routes. */
export function syncRoutes(
  router: Router,
  accounts: Accounts,
  rooms: Rooms,
  accountData: AccountData,
  syncer: Syncer,
): void {
  /** The path's user must be the token's user. */
  const self = (req: Request): string => {
    const { userId } = accounts.authenticate(req.token);
    if (req.params.user !== userId)
      throw forbidden(`cannot act for ${req.params.user ?? ''} as ${userId}`);
    return userId;
  };

  router.on('GET', `${C}/sync`, async (req) => {
    const { userId, deviceId } = accounts.authenticate(req.token);
    const since = req.query.get('since');
    const controller = new AbortController();
    req.raw.once('close', () => {
      controller.abort();
    });
    return syncer.sync({
      userId,
      deviceId,
      since: since ? parseSyncToken(since) : undefined,
      timeoutMs: Math.min(Math.max(Number(req.query.get('timeout') ?? 0) || 0, 0), MAX_TIMEOUT_MS),
      timelineLimit: timelineLimit(req.query.get('filter'), userId, accountData),
      fullState: req.query.get('full_state') === 'true',
      signal: controller.signal,
    });
  });

  router.on('POST', `${C}/user/:user/filter`, (req) => ({
    filter_id: accountData.saveFilter(self(req), req.body),
  }));
  router.on('GET', `${C}/user/:user/filter/:id`, (req) => {
    const filter = accountData.filter(self(req), req.params.id ?? '');
    if (!filter) throw new MatrixError(404, 'M_NOT_FOUND', `no filter ${req.params.id ?? ''}`);
    return filter;
  });

  router.on('PUT', `${C}/user/:user/account_data/:type`, (req) => {
    accountData.put(self(req), '', req.params.type ?? '', req.body);
    return {};
  });
  router.on('GET', `${C}/user/:user/account_data/:type`, (req) =>
    found(accountData.get(self(req), '', req.params.type ?? ''), req.params.type),
  );
  router.on('PUT', `${C}/user/:user/rooms/:room/account_data/:type`, (req) => {
    const userId = self(req);
    rooms.requireJoined(userId, req.params.room ?? '');
    accountData.put(userId, req.params.room ?? '', req.params.type ?? '', req.body);
    return {};
  });
  router.on('GET', `${C}/user/:user/rooms/:room/account_data/:type`, (req) =>
    found(
      accountData.get(self(req), req.params.room ?? '', req.params.type ?? ''),
      req.params.type,
    ),
  );
}

function found(
  content: Record<string, unknown> | undefined,
  type: string | undefined,
): Record<string, unknown> {
  if (!content) throw new MatrixError(404, 'M_NOT_FOUND', `no account data of type ${type ?? ''}`);
  return content;
}

/** `room.timeline.limit` of a filter given by id or inline JSON (default 10). */
function timelineLimit(filter: string | null, userId: string, accountData: AccountData): number {
  if (!filter) return 10;
  let definition: Record<string, unknown> | undefined;
  if (filter.startsWith('{')) {
    try {
      definition = JSON.parse(filter) as Record<string, unknown>;
    } catch {
      throw badJson('the filter parameter is not valid JSON');
    }
  } else {
    definition = accountData.filter(userId, filter);
    if (!definition) throw new MatrixError(400, 'M_INVALID_PARAM', `no filter ${filter}`);
  }
  const limit = (definition.room as { timeline?: { limit?: unknown } } | undefined)?.timeline
    ?.limit;
  return typeof limit === 'number' && limit > 0 ? Math.min(limit, 1000) : 10;
}
