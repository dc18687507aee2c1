/**
 * Matrix accounts as users type them, and where a Matrix profile keeps its device's store.
 */
import { join } from 'node:path';
import { UsageError, quote } from '../errors.ts';
import type { MatrixAccount, Profile } from './profile.ts';
import { isLoopbackHost } from './xmpp-account.ts';

/** Check a Matrix user id, or throw UsageError naming the form (the transport's grammar). */
export { parseUserId as parseMatrixUserId } from '../transport/matrix/address.ts';

/**
 * Check a homeserver base URL: https, or plain http for a server on this machine (the dev
 * homeserver). Returned without a trailing slash.
 */
export function parseHomeserverUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UsageError(
      `expected a homeserver URL like https://matrix.example.org, got ${quote(input)}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(
      `expected a homeserver URL like https://matrix.example.org, got ${quote(input)}`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError(
      `expected a homeserver URL without credentials, query or fragment, got ${quote(input)}`,
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'http:' && !isLoopbackHost(host)) {
    throw new UsageError(
      `refusing plain http to ${url.host}: the access token would cross the network in the clear; use https (http is allowed only for localhost)`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

/** The private store directory of a Matrix profile's device (crypto, sync, ledger, lock). */
export function matrixStoreDir(dataDir: string, profileName: string, deviceId: string): string {
  const safeDevice = deviceId.replace(/[^A-Za-z0-9_-]/g, '_');
  return join(dataDir, 'matrix', `${profileName}.${safeDevice}`);
}

/** The Matrix account of a profile, or throw if it is another network's. */
export function matrixAccountOf(profile: Profile): MatrixAccount {
  if (profile.network !== 'matrix') {
    throw new UsageError(`profile "${profile.name}" is an XMPP account, not a Matrix one`);
  }
  return profile.account;
}

/** Delete a device's store and its databases (see src/transport/matrix/store.ts). */
export async function wipeMatrixStore(storeDir: string): Promise<void> {
  const { wipeMatrixStore: wipe } = await import('../transport/matrix/index.ts');
  wipe(storeDir);
}
