/**
 * The host's listening socket file: bound with mode 0600, and removed only while it is still
 * ours — a file there from a host that died is replaced, anything else is left alone.
 */
import { chmodSync, lstatSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:net';
import { ConfigError } from '../errors.ts';
import { errnoCode } from './errno.ts';

/**
 * Listen on `path` (mode 0600) and resolve with the socket file's inode, which identifies it
 * later. The caller holds the profile's lock, so a socket file already there is stale.
 */
export async function listenOn(server: Server, path: string): Promise<number> {
  removeStaleSocket(path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return statSync(path).ino;
}

/** Remove our socket file (inode `ino`), unless another host's has replaced it. */
export function removeOwnSocket(path: string, ino: number | undefined): void {
  try {
    if (ino !== undefined && statSync(path).ino === ino) rmSync(path, { force: true });
  } catch {
    // Already gone.
  }
}

/** Remove a socket left by a host that died; anything else at that path is not ours to delete. */
function removeStaleSocket(path: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  if (!isSocket)
    throw new ConfigError(
      `expected ${path} to be a stale session socket, but it is another kind of file; remove it`,
    );
  rmSync(path, { force: true });
}
