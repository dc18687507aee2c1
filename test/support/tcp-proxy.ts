/**
 * A TCP proxy between clients and a server, to cut the network without root or namespaces:
 * clients connect to the proxy's port, and `cut({ mode })` breaks the path until `restore()`.
 *
 * - `reset`: every connection is destroyed and the port closed, so new connections are refused,
 *   as when the server stops. Clients hear about it at once.
 * - `blackhole`: connections stay open but every byte is dropped, both ways, and new connections
 *   are accepted and never answered, as when a cable is pulled or a NAT mapping dies. Nobody
 *   hears anything: a client finds out only through its own timeouts and keepalives. A
 *   connection that was cut stays dead after `restore()` (its bytes are gone, like a NAT
 *   mapping that was forgotten), and the server side of it is never told; only connections
 *   made after the restore go through.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** How a cut breaks the path (see the module comment). */
export type CutMode = 'reset' | 'blackhole';

/** What the proxy has seen, for the report. */
export interface ProxyCounts {
  /** Connections accepted from clients. */
  readonly accepted: number;
  /** Connections destroyed by a `reset` cut. */
  readonly reset: number;
  /** Connections swallowed by a `blackhole` cut (open ones cut, and new ones never answered). */
  readonly blackholed: number;
  /** Bytes dropped in a blackhole, both directions. */
  readonly droppedBytes: number;
}

/** A running proxy. */
export interface TcpProxy {
  readonly port: number;
  /** Break the path; resolves once the cut is in place. */
  cut(options: { readonly mode: CutMode }): Promise<void>;
  /** Mend the path: new connections go through again. */
  restore(): Promise<void>;
  counts(): ProxyCounts;
  /** Stop listening and drop every connection, dead ones included. */
  close(): Promise<void>;
}

interface Flow {
  readonly client: Socket;
  readonly upstream: Socket | undefined;
  dead: boolean;
}

/** Start a proxy on a free loopback port that forwards to `target`. */
export async function startTcpProxy(target: {
  readonly host: string;
  readonly port: number;
}): Promise<TcpProxy> {
  const flows = new Set<Flow>();
  let mode: CutMode | undefined;
  const counts = { accepted: 0, reset: 0, blackholed: 0, droppedBytes: 0 };

  const swallow = (flow: Flow): void => {
    flow.dead = true;
    counts.blackholed++;
    // Keep reading so the peers' writes succeed, as they would into a dead path.
    flow.client.resume();
    flow.upstream?.resume();
  };
  const onConnection = (client: Socket): void => {
    counts.accepted++;
    client.on('error', () => undefined);
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'blackhole') {
      const flow: Flow = { client, upstream: undefined, dead: true };
      flows.add(flow);
      swallow(flow);
      client.on('data', (chunk: Buffer) => (counts.droppedBytes += chunk.length));
      return;
    }
    const upstream = connect({ host: target.host, port: target.port });
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    upstream.on('error', () => undefined);
    const flow: Flow = { client, upstream, dead: false };
    flows.add(flow);
    pipe(flow, client, upstream, counts);
    pipe(flow, upstream, client, counts);
    const end = (): void => {
      // A dead flow's other side is never told, as through a forgotten NAT mapping.
      if (!flow.dead) {
        client.destroy();
        upstream.destroy();
        flows.delete(flow);
      }
    };
    client.on('close', end);
    upstream.on('close', end);
  };

  let server = createServer(onConnection);
  await listen(server, 0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const port = address.port;

  return {
    port,
    cut: ({ mode: how }) => {
      if (mode !== undefined)
        return Promise.reject(new Error(`the proxy is already cut (${mode})`));
      mode = how;
      for (const flow of flows) {
        if (flow.dead) continue;
        if (how === 'blackhole') {
          swallow(flow);
          continue;
        }
        counts.reset++;
        flows.delete(flow);
        flow.client.resetAndDestroy();
        flow.upstream?.resetAndDestroy();
      }
      // Like a stopped server: nothing listens, connections are refused. (The listening
      // socket closes at once; the callback would wait for connections, and there are none.)
      if (how === 'reset') server.close();
      return Promise.resolve();
    },
    restore: async () => {
      if (mode === 'reset') {
        server = createServer(onConnection);
        await listen(server, port);
      }
      mode = undefined;
    },
    counts: () => ({ ...counts }),
    close: async () => {
      for (const flow of flows) {
        flow.client.destroy();
        flow.upstream?.destroy();
      }
      flows.clear();
      if (server.listening)
        await new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        });
    },
  };
}

/** Forward `from` to `to` with backpressure, dropping everything once the flow is dead. */
function pipe(flow: Flow, from: Socket, to: Socket, counts: { droppedBytes: number }): void {
  from.on('data', (chunk: Buffer) => {
    if (flow.dead) {
      counts.droppedBytes += chunk.length;
      return;
    }
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => {
    if (!flow.dead) to.end();
  });
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
