/**
 * A raw client of a session socket for protocol tests: writes whatever bytes a test gives it
 * and collects the host's lines, parsed.
 */
import { createConnection, type Socket } from 'node:net';

/** One raw connection. */
export class RawSessionClient {
  readonly lines: unknown[] = [];
  readonly #socket: Socket;
  #buffer = '';
  readonly #wakers = new Set<() => void>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('utf8');
      let newline;
      while ((newline = this.#buffer.indexOf('\n')) !== -1) {
        this.lines.push(JSON.parse(this.#buffer.slice(0, newline)));
        this.#buffer = this.#buffer.slice(newline + 1);
      }
      for (const wake of [...this.#wakers]) wake();
    });
  }

  /** Connect to a socket path. */
  static async connect(path: string): Promise<RawSessionClient> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawSessionClient(socket);
  }

  /** Write raw text (add the newline yourself). */
  write(text: string | Buffer): void {
    this.#socket.write(text);
  }

  /** Send one request line. */
  request(id: number, method: string, params: unknown = {}): void {
    this.write(`${JSON.stringify({ id, method, params })}\n`);
  }

  /** Wait until `count` lines have arrived; returns them all. */
  async waitForLines(count: number, timeoutMs = 5000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      if (Date.now() > deadline)
        throw new Error(
          `expected ${String(count)} lines from the host, got ${String(this.lines.length)}: ${JSON.stringify(this.lines)}`,
        );
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#wakers.delete(wake);
          resolve();
        };
        this.#wakers.add(wake);
        setTimeout(wake, 50);
      });
    }
    return this.lines;
  }

  /** True once the host has closed the connection. */
  get closed(): boolean {
    return this.#socket.destroyed || this.#socket.readableEnded;
  }

  close(): void {
    this.#socket.destroy();
  }
}
