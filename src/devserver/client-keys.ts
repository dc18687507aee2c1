/**
 * Encryption endpoints of the Client-Server API (v1.11): keys upload/query/claim/changes,
 * cross-signing upload (behind user-interactive auth), signatures upload, sendToDevice.
 */
import type { Accounts } from './accounts.ts';
import type { Keys } from './keys.ts';
import { badJson } from './matrix-error.ts';
import type { Router } from './router.ts';
import { parseSyncToken } from './sync.ts';
import type { InteractiveAuth } from './uia.ts';

const C = '/_matrix/client/v3';

function object(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badJson(`expected ${what} to be an object`);
  return value as Record<string, unknown>;
}

/** Register the key and to-device routes. */
export function keyRoutes(
  router: Router,
  accounts: Accounts,
  keys: Keys,
  uia: InteractiveAuth,
): void {
  router.on('POST', `${C}/keys/upload`, (req) => {
    const { userId, deviceId } = accounts.authenticate(req.token);
    const deviceKeys = req.body.device_keys as
      { user_id?: unknown; device_id?: unknown } | undefined;
    if (deviceKeys && (deviceKeys.user_id !== userId || deviceKeys.device_id !== deviceId)) {
      throw badJson(`device_keys must be for ${userId} / ${deviceId}`);
    }
    return { one_time_key_counts: keys.upload(userId, deviceId, req.body) };
  });

  router.on('POST', `${C}/keys/query`, (req) =>
    keys.query(
      accounts.authenticate(req.token).userId,
      object(req.body.device_keys, 'device_keys'),
    ),
  );

  router.on('POST', `${C}/keys/claim`, (req) => {
    accounts.authenticate(req.token);
    return keys.claim(
      object(req.body.one_time_keys, 'one_time_keys') as Record<string, Record<string, string>>,
    );
  });

  router.on('GET', `${C}/keys/changes`, (req) => {
    accounts.authenticate(req.token);
    const from = parseSyncToken(req.query.get('from') ?? '').deviceLists;
    const to = parseSyncToken(req.query.get('to') ?? '').deviceLists;
    return { changed: keys.changedUsers(from, to), left: [] };
  });

  router.on('POST', `${C}/keys/device_signing/upload`, (req) => {
    const { userId } = accounts.authenticate(req.token);
    uia.require(req.body);
    keys.uploadCrossSigning(userId, req.body);
    return {};
  });

  router.on('POST', `${C}/keys/signatures/upload`, (req) => {
    accounts.authenticate(req.token);
    return keys.uploadSignatures(
      req.body as Record<string, Record<string, Record<string, unknown>>>,
    );
  });

  router.on('PUT', `${C}/sendToDevice/:type/:txn`, (req) => {
    const { userId } = accounts.authenticate(req.token);
    keys.sendToDevice(
      userId,
      req.params.type ?? '',
      object(req.body.messages, 'messages') as Record<
        string,
        Record<string, Record<string, unknown>>
      >,
    );
    return {};
  });
}
