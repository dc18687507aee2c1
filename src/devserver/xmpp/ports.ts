/**
 * Loopback ports for the development Prosody: pick free ones, then wait until Prosody listens.
 */
import { connect, createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const LOOPBACK = '127.0.0.1';

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      resolve(server);
    });
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`expected a TCP address from a listening socket, got ${String(address)}`);
  }
  return address.port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

/**
 * `count` distinct free ports on 127.0.0.1. All listeners stay open until every port is known,
 * so the OS cannot hand the same port out twice; they are then released for Prosody to take.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnAnyPort());
    return servers.map(portOf);
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** One free TCP port on 127.0.0.1 (released again: something else may take it). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('expected one free port, got none');
  return port;
}

/** Whether a TCP connection to 127.0.0.1:port is accepted right now. */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: LOOPBACK, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Options for {@link waitForPorts}. */
export interface WaitForPortsOptions {
  readonly timeoutMs: number;
  /** Stops waiting early, e.g. when the server process exits. */
  readonly signal?: AbortSignal;
  /**
   * Also required for readiness, asked on every poll; may throw to give up at once. (A port
   * that accepts may belong to another program that took it first.)
   */
  readonly confirm?: () => boolean;
}

/**
 * Resolves once every port accepts a TCP connection (and `confirm` agrees). Rejects with a
 * TimeoutError after `timeoutMs`, with the signal's reason when it is aborted, or with what
 * `confirm` throws.
 */
export async function waitForPorts(
  ports: readonly number[],
  { timeoutMs, signal, confirm = () => true }: WaitForPortsOptions,
): Promise<void> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const pending = new Set(ports);
  for (;;) {
    stop.throwIfAborted();
    for (const port of [...pending]) {
      if (await acceptsConnections(port)) pending.delete(port);
    }
    if (pending.size === 0 && confirm()) return;
    await sleep(50, undefined, { signal: stop }).catch(() => undefined);
  }
}
