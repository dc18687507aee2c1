/**
 * Opening and closing the client end of a session socket, with the waits bounded.
 */
import { createConnection, type Socket } from 'node:net';
import { InterruptedError, NetworkError, messageOf } from '../errors.ts';
import { errnoCode } from './errno.ts';

/**
 * No host serves the profile on this socket right now: none listens (no file, or one left by a
 * host that died) or the one there is stopping. Start one and retry.
 */
export class HostUnavailableError extends NetworkError {}

/** Connect to a Unix socket; HostUnavailableError when no host listens there. */
export function openSocket(
  path: string,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<Socket> {
  const { promise, resolve, reject } = Promise.withResolvers<Socket>();
  const socket = createConnection(path);
  const timeoutMs = options.timeoutMs ?? 5000;
  const timer = setTimeout(() => {
    finish(new NetworkError(`timed out after ${String(timeoutMs)} ms connecting to ${path}`));
  }, timeoutMs);
  const onAbort = (): void => {
    finish(new InterruptedError(`interrupted while connecting to ${path}`));
  };
  const finish = (error?: Error): void => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    socket.off('error', onError);
    if (error === undefined) {
      resolve(socket);
      return;
    }
    socket.destroy();
    reject(error);
  };
  const onError = (error: Error): void => {
    const code = errnoCode(error);
    finish(
      code === 'ENOENT' || code === 'ECONNREFUSED'
        ? new HostUnavailableError(`no session host listens on ${path} (${code})`)
        : new NetworkError(`cannot connect to the session host at ${path}: ${messageOf(error)}`, {
            cause: error,
          }),
    );
  };
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  socket.once('connect', () => {
    finish();
  });
  socket.on('error', onError);
  return promise;
}

/** True when something accepts connections on `path` (a host is listening). */
export async function probeSocket(path: string): Promise<boolean> {
  try {
    const socket = await openSocket(path, { timeoutMs: 1000 });
    socket.destroy();
    return true;
  } catch {
    return false;
  }
}

/** End our side and wait (bounded) until the socket has closed. */
export async function endSocket(socket: Socket, graceMs = 1000): Promise<void> {
  if (socket.destroyed) return;
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => {
      resolve();
    });
  });
  socket.end();
  const timer = setTimeout(() => socket.destroy(), graceMs);
  await closed;
  clearTimeout(timer);
}
