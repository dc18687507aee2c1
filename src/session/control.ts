/**
 * Asking a profile's host about itself (`daemon status`) and telling it to stop (`daemon stop`,
 * `logout`): one request on a fresh connection, without `hello`, so a host that is still
 * connecting to its server answers too.
 */
import { InternalError, NetworkError, describeValue } from '../errors.ts';
import { formatMs, sleep } from '../transport/deadline.ts';
import type { SessionFiles } from './files.ts';
import { LineReader } from './lines.ts';
import { holderAlive, isAlive, readLock, type LockInfo } from './lock.ts';
import { MAX_LINE_BYTES, encodeLine, fromWireError, parseHostMessage } from './protocol.ts';
import { HostUnavailableError, openSocket } from './socket.ts';
import { isHostStatus, type HostStatus } from './status.ts';

/** How long `daemon stop` and `logout` wait for a host to exit. */
export const STOP_TIMEOUT_MS = 15_000;

const REQUEST_TIMEOUT_MS = 5000;
const POLL_MS = 50;

/** The lock of the profile's host when a live process holds it. */
export function runningHost(files: SessionFiles): LockInfo | undefined {
  const lock = readLock(files.lock);
  return lock !== undefined && holderAlive(lock) ? lock : undefined;
}

/** The status of the profile's host, or undefined when none runs. */
export async function hostStatus(files: SessionFiles): Promise<HostStatus | undefined> {
  const lock = runningHost(files);
  if (lock === undefined) return undefined;
  let result: unknown;
  try {
    result = await request(lock.socket, 'status');
  } catch (error) {
    if (error instanceof HostUnavailableError) return undefined;
    throw error;
  }
  if (!isHostStatus(result))
    throw new InternalError(
      `the session host (pid ${String(lock.pid)}) answered status with ${describeValue(result)}; it may be from another mx-agent version: stop it with \`kill ${String(lock.pid)}\``,
    );
  return result;
}

/**
 * Ask the profile's host to stop and wait until it has let go of the profile (its lock: the
 * last thing a host does before its process ends). Resolves with its pid, or undefined when
 * none ran.
 */
export async function stopHost(
  files: SessionFiles,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<number | undefined> {
  const lock = runningHost(files);
  if (lock === undefined) return undefined;
  const deadline = Date.now() + options.timeoutMs;
  const holds = (): boolean => readLock(files.lock)?.token === lock.token && holderAlive(lock);
  let asked = false;
  while (holds()) {
    if (Date.now() > deadline)
      throw new NetworkError(
        `the session host of profile "${files.profile}" (pid ${String(lock.pid)}) did not stop within ${formatMs(options.timeoutMs)} of being asked to; its log is ${files.log}`,
      );
    if (!asked) {
      try {
        await request(lock.socket, 'stop');
        asked = true;
      } catch (error) {
        // Not listening (yet, or any more): it is starting or already stopping; ask again.
        if (!(error instanceof HostUnavailableError)) throw error;
      }
    }
    await sleep(POLL_MS, options.signal);
  }
  // Its lock is free; its process ends right after (a host in this process is a test's).
  while (lock.pid !== process.pid && isAlive(lock.pid) && Date.now() < deadline)
    await sleep(POLL_MS, options.signal);
  return lock.pid;
}

/**
 * Tell the profile's host, when one runs, that what its agent publishes changed (workspaces,
 * card); resolves once it has applied it. Nothing to do when no host runs: the next one reads it.
 */
export async function refreshHost(files: SessionFiles): Promise<boolean> {
  const lock = runningHost(files);
  if (lock === undefined) return false;
  try {
    await request(lock.socket, 'refresh', 30_000);
    return true;
  } catch (error) {
    if (error instanceof HostUnavailableError) return false;
    throw error;
  }
}

/** Send one request and resolve with its result. */
async function request(
  socketPath: string,
  method: 'status' | 'stop' | 'refresh',
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<unknown> {
  const socket = await openSocket(socketPath, { timeoutMs: REQUEST_TIMEOUT_MS });
  const { promise, resolve, reject } = Promise.withResolvers<unknown>();
  const timer = setTimeout(() => {
    reject(
      new NetworkError(`the session host did not answer ${method} within ${formatMs(timeoutMs)}`),
    );
  }, timeoutMs);
  const reader = new LineReader(
    MAX_LINE_BYTES,
    (line) => {
      const parsed = parseHostMessage(line);
      if (!parsed.ok) {
        reject(new InternalError(`malformed answer from the session host: ${parsed.reason}`));
        return;
      }
      const message = parsed.value;
      if ('result' in message && message.id === 1) resolve(message.result);
      else if ('error' in message) reject(fromWireError(message.error));
    },
    () => {
      reject(new InternalError(`the session host's answer to ${method} was too long`));
    },
  );
  socket.on('data', (chunk: Buffer) => {
    reader.push(chunk);
  });
  socket.on('error', () => undefined);
  socket.once('close', () => {
    reject(new HostUnavailableError(`the session host closed the connection before answering`));
  });
  socket.write(encodeLine({ id: 1, method, params: {} }));
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
