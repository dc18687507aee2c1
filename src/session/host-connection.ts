/**
 * One client of a session host: its socket, what it asked for (subscription, in-flight
 * requests), and a writer that will not buffer without bound for a client that stopped reading.
 */
import type { Socket } from 'node:net';
import { LineReader } from './lines.ts';
import { MAX_LINE_BYTES, encodeLine, type HostMessage } from './protocol.ts';

/** Past this much unsent output the client is too slow: it is dropped, not waited for. */
const MAX_PENDING_BYTES = MAX_LINE_BYTES + 16 * 1024 * 1024;
/** How long an ended connection may take to close before it is cut. */
const END_GRACE_MS = 1000;

/** What a connection reports to its host. */
export interface ConnectionHandlers {
  onLine(connection: ClientConnection, line: string): void;
  onOversized(connection: ClientConnection, bytes: number): void;
  onClose(connection: ClientConnection): void;
  onSlow(connection: ClientConnection): void;
}

/** One connected client. */
export class ClientConnection {
  readonly id: number;
  readonly connectedAt = Date.now();
  /** Set by `hello`: this client speaks our protocol version. */
  greeted = false;
  /** The client's process id, as it said in `hello`. */
  pid: number | undefined;
  /** Whether messages and direct presence are pushed to it. */
  subscribed = false;
  /** Requests still running, by request id: aborted when the client goes away. */
  readonly inFlight = new Map<number, AbortController>();
  readonly #socket: Socket;
  readonly #handlers: ConnectionHandlers;

  constructor(id: number, socket: Socket, handlers: ConnectionHandlers) {
    this.id = id;
    this.#socket = socket;
    this.#handlers = handlers;
    const reader = new LineReader(
      MAX_LINE_BYTES,
      (line) => {
        handlers.onLine(this, line);
      },
      (bytes) => {
        handlers.onOversized(this, bytes);
      },
    );
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
    });
    // A reset from a client that died is its way of leaving; 'close' follows.
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.abortAll();
      handlers.onClose(this);
    });
  }

  /** Write one line; a closed connection swallows it. */
  send(message: HostMessage): void {
    if (this.#socket.destroyed || this.#socket.writableEnded) return;
    if (this.#socket.writableLength > MAX_PENDING_BYTES) {
      this.#handlers.onSlow(this);
      this.#socket.destroy();
      return;
    }
    this.#socket.write(encodeLine(message));
  }

  /** Abort every request still running for this client. */
  abortAll(): void {
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
  }

  /** Finish writing, then close; cut after a grace period. */
  end(): void {
    if (this.#socket.destroyed) return;
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), END_GRACE_MS).unref();
  }
}
