/**
 * The session host (design.md §5): one process per profile owns the connection, and every
 * command on that profile reaches it through a Unix socket (mode 0600 in a 0700 directory).
 * It serves one Transport to many clients: each client's requests run with their own abort
 * signal, events fan out to the clients that asked for them (routing.ts), workspaces are leased
 * per client (leases.ts), and secrets never cross the socket — only what the Transport
 * interface already exposes does.
 *
 * Life cycle: listen → serve(transport) or fail(error) → stop(reason). Clients that connect
 * while the transport is still connecting wait in `hello` until it is up (or get its error).
 */
import { createServer, type Socket } from 'node:net';
import { ConfigError, InternalError, NetworkError, describeValue, messageOf } from '../errors.ts';
import { formatMs } from '../transport/deadline.ts';
import type { InboundMessage, Network, Transport } from '../transport/transport.ts';
import { runRefresh, type HostCompanion } from './host-companion.ts';
import { ClientConnection } from './host-connection.ts';
import { listenOn, removeOwnSocket } from './host-socket.ts';
import { runTransportRequest } from './host-methods.ts';
import { Inbox } from './inbox.ts';
import type { HostLog } from './log.ts';
import { WorkspaceLeases } from './leases.ts';
import {
  PROTOCOL_VERSION,
  STOPPING_CONDITION,
  isTransportMethod,
  parseRequest,
  toWireError,
  type Request,
  type WireError,
} from './protocol.ts';
import { routeEvent } from './routing.ts';
import type { HostState, HostStatus } from './status.ts';

/** How to run a host. */
export interface SessionHostOptions {
  readonly socketPath: string;
  readonly profile: string;
  readonly network: Network;
  /** The mx-agent version, for `status`. */
  readonly version: string;
  /** Stop after this long without clients; undefined: run until stopped. */
  readonly idleMs?: number;
  /** Undelivered messages from the previous host of this profile. */
  readonly inbox?: readonly InboundMessage[];
  readonly log?: HostLog;
  readonly companion?: HostCompanion;
}

export type { HostCompanion };

type Phase = 'starting' | 'serving' | 'failed' | 'stopping' | 'stopped';

/** Serves one Transport to the clients on one socket. */
export class SessionHost {
  readonly #options: SessionHostOptions;
  readonly #log: HostLog;
  readonly #server = createServer();
  readonly #clients = new Map<number, ClientConnection>();
  readonly #startedAt = new Date();
  readonly #stopping = new AbortController();
  readonly #closed = Promise.withResolvers<string>();
  readonly #inbox: Inbox;
  #nextClient = 1;
  #phase: Phase = 'starting';
  #failure: WireError | undefined;
  #serving: { transport: Transport; leases: WorkspaceLeases; unsubscribe: () => void } | undefined;
  /** Hellos waiting for the transport: answered by serve, fail or stop. */
  #waiting: (() => void)[] = [];
  #idleTimer: NodeJS.Timeout | undefined;
  #socketIno: number | undefined;

  constructor(options: SessionHostOptions) {
    this.#options = options;
    this.#log = options.log ?? (() => undefined);
    this.#inbox = new Inbox(options.inbox, {
      onDrop: (m) => {
        this.#log('warn', `undelivered-message store full: dropped ${m.id} from ${m.from}`);
      },
    });
    this.#server.on('connection', (socket) => {
      this.#accept(socket);
    });
  }

  /** Resolves with the reason once the host has stopped and closed its transport. */
  get closed(): Promise<string> {
    return this.#closed.promise;
  }

  /** Aborted as soon as the host begins to stop (e.g. to abandon a connection attempt). */
  get stopSignal(): AbortSignal {
    return this.#stopping.signal;
  }

  /** Bind the socket (mode 0600). The caller holds the profile's lock, so a socket file there is stale. */
  async listen(): Promise<void> {
    this.#socketIno = await listenOn(this.#server, this.#options.socketPath);
    this.#server.on('error', (error) => {
      this.#log('warn', `session socket error: ${messageOf(error)}`);
    });
  }

  /** Start serving a connected transport. */
  serve(transport: Transport): void {
    if (this.#phase !== 'starting') {
      // Stopped while connecting: nobody will use this connection.
      void transport.close().catch(() => undefined);
      return;
    }
    const leases = new WorkspaceLeases(transport);
    const unsubscribe = transport.subscribe((event) => {
      this.#onEvent(event);
    });
    this.#serving = { transport, leases, unsubscribe };
    this.#phase = 'serving';
    this.#log('info', `serving ${transport.address} on ${this.#options.socketPath}`);
    this.#options.companion?.start(transport, leases);
    this.#answerWaiting();
    this.#armIdle();
  }

  /** The transport could not connect: tell every waiting client why. */
  fail(error: unknown): void {
    if (this.#phase !== 'starting') return;
    this.#phase = 'failed';
    this.#failure = toWireError(error);
    this.#answerWaiting();
  }

  /** Say goodbye to every client, close the transport, remove the socket. Idempotent. */
  async stop(reason: string): Promise<void> {
    if (this.#phase === 'stopping' || this.#phase === 'stopped') {
      await this.#closed.promise;
      return;
    }
    const failed = this.#phase === 'failed';
    this.#phase = 'stopping';
    this.#stopping.abort();
    clearTimeout(this.#idleTimer);
    this.#answerWaiting();
    this.#server.close();
    removeOwnSocket(this.#options.socketPath, this.#socketIno);
    for (const client of this.#clients.values()) {
      client.send({ bye: reason });
      client.abortAll();
      client.end();
    }
    const serving = this.#serving;
    if (serving)
      await this.#options.companion?.stop().catch((error: unknown) => {
        this.#log('warn', `stopping the agent's presence failed: ${messageOf(error)}`);
      });
    serving?.unsubscribe();
    await serving?.transport.close().catch((error: unknown) => {
      this.#log('warn', `closing the connection failed: ${messageOf(error)}`);
    });
    this.#phase = 'stopped';
    this.#log(failed ? 'warn' : 'info', `stopped: ${reason}`);
    this.#closed.resolve(reason);
  }

  /** What `mx-agent daemon status` shows; `asking` is left out of the client count. */
  status(asking?: ClientConnection): HostStatus {
    const others = [...this.#clients.values()].filter((c) => c !== asking && c.greeted);
    const transport = this.#serving?.transport;
    return {
      pid: process.pid,
      profile: this.#options.profile,
      network: this.#options.network,
      version: this.#options.version,
      protocol: PROTOCOL_VERSION,
      address: transport?.address ?? '',
      state: this.#state(),
      clients: others.length,
      clientPids: others.flatMap((c) => (c.pid === undefined ? [] : [c.pid])),
      workspaces: [...(transport?.joinedWorkspaces() ?? [])],
      startedAt: this.#startedAt.toISOString(),
      uptimeMs: Date.now() - this.#startedAt.getTime(),
      socket: this.#options.socketPath,
      idleExitMs: this.#options.idleMs ?? null,
      undelivered: this.#inbox.size,
    };
  }

  /** Messages no client received; the host keeps none afterwards. */
  undelivered(): InboundMessage[] {
    return this.#inbox.take();
  }

  #state(): HostState {
    switch (this.#phase) {
      case 'starting':
        return 'starting';
      case 'serving':
        return this.#serving?.transport.state ?? 'offline';
      case 'failed':
        return 'offline';
      case 'stopping':
        return 'stopping';
      case 'stopped':
        return 'closed';
    }
  }

  #accept(socket: Socket): void {
    if (this.#phase === 'stopping' || this.#phase === 'stopped') {
      socket.destroy();
      return;
    }
    const client = new ClientConnection(this.#nextClient++, socket, {
      onLine: (c, line) => {
        this.#onLine(c, line);
      },
      onOversized: (c, bytes) => {
        this.#log('warn', `client ${String(c.id)} sent a line of ${String(bytes)} bytes; dropped`);
        c.send({
          error: { kind: 'internal', message: `session request too long: ${String(bytes)} bytes` },
        });
      },
      onClose: (c) => {
        this.#onClose(c);
      },
      onSlow: (c) => {
        this.#log('warn', `client ${String(c.id)} stopped reading; disconnected`);
      },
    });
    this.#clients.set(client.id, client);
  }

  #onClose(client: ClientConnection): void {
    this.#clients.delete(client.id);
    if (this.#phase !== 'serving' || !this.#serving || !client.greeted) return;
    this.#serving.leases.releaseAll(client.id).catch((error: unknown) => {
      this.#log('warn', `leaving the workspaces of a departed client failed: ${messageOf(error)}`);
    });
    this.#armIdle();
  }

  #onLine(client: ClientConnection, line: string): void {
    const parsed = parseRequest(line);
    if (parsed.ok) {
      this.#handle(client, parsed.value);
      return;
    }
    this.#log('warn', `client ${String(client.id)}: malformed request: ${parsed.reason}`);
    client.send({
      ...(parsed.id === undefined ? {} : { id: parsed.id }),
      error: { kind: 'internal', message: `malformed session request: ${parsed.reason}` },
    });
  }

  #handle(client: ClientConnection, request: Request): void {
    const { id, method } = request;
    if (isTransportMethod(method)) {
      if (!client.greeted) {
        const error = new InternalError(`session request ${method} before hello: say hello first`);
        client.send({ id, error: toWireError(error) });
      } else if (this.#phase !== 'serving' || !this.#serving)
        client.send({ id, error: this.#stoppingError() });
      else runTransportRequest(client, method, request, this.#serving, this.#log);
      return;
    }
    switch (method) {
      case 'hello':
        this.#hello(client, request);
        return;
      case 'status':
        client.send({ id, result: this.status(client) });
        return;
      case 'refresh':
        runRefresh(client, id, this.#phase === 'serving' ? this.#options.companion : undefined);
        return;
      case 'stop':
        client.send({ id, result: null });
        void this.stop('asked to stop (mx-agent daemon stop)');
        return;
      case 'subscribe':
        client.subscribed = true;
        client.send({ id, result: null });
        for (const message of this.#inbox.take()) client.send({ event: message });
        return;
      case 'unsubscribe':
        client.subscribed = false;
        client.send({ id, result: null });
        return;
      case 'cancel':
        if (typeof request.params.id === 'number') client.inFlight.get(request.params.id)?.abort();
        client.send({ id, result: null });
        return;
    }
  }

  #hello(client: ClientConnection, request: Request): void {
    const { id, params } = request;
    if (params.version !== PROTOCOL_VERSION) {
      client.send({
        id,
        error: toWireError(
          new ConfigError(
            `the session host of profile "${this.#options.profile}" (pid ${String(process.pid)}, mx-agent ${this.#options.version}) speaks session protocol v${String(PROTOCOL_VERSION)}, this command ${describeValue(params.version)}; stop the host with \`mx-agent daemon stop\` and retry`,
          ),
        ),
      });
      return;
    }
    if (typeof params.pid === 'number') client.pid = params.pid;
    const answer = (): void => {
      if (this.#failure) {
        client.send({ id, error: this.#failure });
        return;
      }
      const transport = this.#serving?.transport;
      if (this.#phase !== 'serving' || !transport) {
        client.send({ id, error: this.#stoppingError() });
        return;
      }
      client.greeted = true;
      clearTimeout(this.#idleTimer);
      client.send({
        id,
        result: {
          version: PROTOCOL_VERSION,
          pid: process.pid,
          network: this.#options.network,
          address: transport.address,
          state: transport.state,
        },
      });
    };
    if (this.#phase === 'starting') this.#waiting.push(answer);
    else answer();
  }

  #onEvent(event: Parameters<typeof routeEvent>[0]): void {
    const serving = this.#serving;
    if (!serving) return;
    routeEvent(event, {
      clients: [...this.#clients.values()].filter((c) => c.greeted),
      transport: serving.transport,
      leases: serving.leases,
      inbox: this.#inbox,
    });
    if (
      event.type === 'connection' &&
      (event.state === 'offline' || event.state === 'closed') &&
      this.#phase === 'serving'
    )
      void this.stop(
        `the connection to the server ended${event.error ? `: ${event.error.message}` : ''}`,
      );
  }

  #stoppingError(): WireError {
    return toWireError(
      new NetworkError(`the session host of profile "${this.#options.profile}" is stopping`, {
        detail: { condition: STOPPING_CONDITION },
      }),
    );
  }

  #answerWaiting(): void {
    for (const answer of this.#waiting.splice(0)) answer();
  }

  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    const idleMs = this.#options.idleMs;
    // Only commands using the connection count: `daemon status` does not keep a host alive.
    const using = [...this.#clients.values()].some((c) => c.greeted);
    if (idleMs === undefined || this.#phase !== 'serving' || using) return;
    this.#idleTimer = setTimeout(() => {
      void this.stop(`no command used it for ${formatMs(idleMs)}`);
    }, idleMs);
    this.#idleTimer.unref();
  }
}
