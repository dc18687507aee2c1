/**
 * An independent encrypted Matrix peer for tests (design.md §7): matrix-nio with python-olm,
 * the Debian packages python3-matrix-nio and python3-olm, run as a child process
 * (nio_peer.py) and driven by JSON lines. It proves that what we serve or send is the Matrix of
 * the spec, not the Matrix of matrix-js-sdk.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The interpreter with the Debian packages (a pyenv `python3` on PATH does not have them). */
export const NIO_PYTHON = '/usr/bin/python3';
const PEER_SCRIPT = fileURLToPath(new URL('nio_peer.py', import.meta.url));
const DEFAULT_TIMEOUT_MS = 20_000;
/** Extra time the driver allows beyond the peer's own timeout, so the peer's answer wins. */
const MARGIN_MS = 5_000;
const CLOSE_GRACE_MS = 5_000;

/** The skip reason for tests that need nio where it is missing. */
export const NIO_MISSING =
  'matrix-nio not importable by /usr/bin/python3: apt-get install python3-matrix-nio python3-olm';

let availability: string | undefined | null = null;

/** The Python interpreter that can import nio and olm, or undefined (then skip). */
export function nioAvailable(): string | undefined {
  if (availability === null) {
    const probe = spawnSync(NIO_PYTHON, ['-c', 'import nio, olm'], {
      stdio: 'ignore',
      timeout: 15_000,
    });
    availability = probe.status === 0 ? NIO_PYTHON : undefined;
  }
  return availability;
}

/** A message the peer received from someone else. */
export interface NioMessage {
  readonly roomId: string;
  readonly eventId: string;
  readonly sender: string;
  /** The text; undefined when the event could not be decrypted. */
  readonly body: string | undefined;
  /** It arrived encrypted and nio decrypted it. */
  readonly decrypted: boolean;
  /** It arrived encrypted and nio had no key for it (an `m.room.encrypted` MegolmEvent). */
  readonly undecryptable: boolean;
  /** For an undecryptable event: the Megolm session and the sending device. */
  readonly sessionId?: string;
  readonly deviceId?: string;
}

/** A failed peer command, with the server's errcode (or HTTP status) when it came from one. */
export class NioPeerError extends Error {
  readonly errcode: string | undefined;

  constructor(message: string, errcode?: string) {
    super(message);
    this.name = 'NioPeerError';
    this.errcode = errcode;
  }
}

/** Per-call limits. */
export interface WaitOptions {
  readonly timeoutMs?: number;
}

/** A running nio peer. One account per peer. */
export interface NioPeer {
  /** Register through the server's user-interactive auth, then sync (keys uploaded). */
  register(homeserver: string, user: string, password: string): Promise<NioAccount>;
  /** Log in with a password, then sync (keys uploaded). */
  login(homeserver: string, user: string, password: string): Promise<NioAccount>;
  /** Create a room (Megolm-encrypted with `encrypted`), inviting `invite`; resolves its id. */
  createRoom(options?: {
    encrypted?: boolean;
    invite?: readonly string[];
    name?: string;
  }): Promise<string>;
  invite(roomId: string, userId: string): Promise<void>;
  /** Join by id or alias; resolves the room id once the room is synced. */
  join(roomIdOrAlias: string, options?: WaitOptions): Promise<string>;
  /** Wait until the peer's sync shows `userId` joined to the room. */
  waitJoined(roomId: string, userId: string, options?: WaitOptions): Promise<void>;
  /** Wait until the peer has the keys of a device (so its room keys will go to it too). */
  waitDevice(userId: string, deviceId: string, options?: WaitOptions): Promise<void>;
  /** Send a text message, encrypted when the room is (unverified devices included). */
  send(roomId: string, text: string): Promise<{ eventId: string; encrypted: boolean }>;
  /** The next message from someone else (from `from` only, if given), oldest first. */
  waitMessage(roomId: string, options?: WaitOptions & { from?: string }): Promise<NioMessage>;
  /** What the peer printed on stderr (nio's warnings, tracebacks). */
  log(): string;
  /** Stop syncing, end the process, and remove the store if the peer made it. */
  close(): Promise<void>;
}

/** The account a peer is logged in as. */
export interface NioAccount {
  readonly userId: string;
  readonly deviceId: string;
}

interface Pending {
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** Start a peer; its nio store goes to `storeDir` (default: a new temp dir, removed on close). */
export function startNioPeer(options: { storeDir?: string; python?: string } = {}): NioPeer {
  const python = options.python ?? nioAvailable();
  if (python === undefined) throw new Error(NIO_MISSING);
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'mx-agent-nio-'));
  const child = spawn(python, [PEER_SCRIPT, storeDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const driver = new Driver(child);
  const timeout = (o?: WaitOptions): number => o?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const account = (r: Record<string, unknown>): NioAccount => ({
    userId: String(r.user_id),
    deviceId: String(r.device_id),
  });
  return {
    register: async (homeserver, user, password) =>
      account(await driver.call('register', { homeserver, user, password })),
    login: async (homeserver, user, password) =>
      account(await driver.call('login', { homeserver, user, password })),
    createRoom: async (o = {}) =>
      String(
        (
          await driver.call('create_room', {
            encrypted: o.encrypted ?? false,
            invite: o.invite ?? [],
            ...(o.name === undefined ? {} : { name: o.name }),
          })
        ).room_id,
      ),
    invite: async (room, user) => {
      await driver.call('invite', { room, user });
    },
    join: async (room, o) =>
      String((await driver.call('join', { room, timeout: timeout(o) }, timeout(o))).room_id),
    waitJoined: async (room, user, o) => {
      await driver.call('wait_joined', { room, user, timeout: timeout(o) }, timeout(o));
    },
    waitDevice: async (user, device, o) => {
      await driver.call('wait_device', { user, device, timeout: timeout(o) }, timeout(o));
    },
    send: async (room, text) => {
      const r = await driver.call('send', { room, text });
      return { eventId: String(r.event_id), encrypted: r.encrypted === true };
    },
    waitMessage: async (room, o = {}) =>
      toMessage(
        await driver.call(
          'wait_message',
          { room, timeout: timeout(o), ...(o.from === undefined ? {} : { from: o.from }) },
          timeout(o),
        ),
      ),
    log: () => driver.stderr,
    close: async () => {
      await driver.quit();
      if (options.storeDir === undefined) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

function toMessage(r: Record<string, unknown>): NioMessage {
  return {
    roomId: String(r.room_id),
    eventId: String(r.event_id),
    sender: String(r.sender),
    body: typeof r.body === 'string' ? r.body : undefined,
    decrypted: r.decrypted === true,
    undecryptable: r.undecryptable === true,
    ...(typeof r.session_id === 'string' ? { sessionId: r.session_id } : {}),
    ...(typeof r.device_id === 'string' ? { deviceId: r.device_id } : {}),
  };
}

/** The JSON-lines conversation with one peer process. */
class Driver {
  stderr = '';
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #exited: Promise<void>;
  #nextId = 1;
  #exitReason: string | undefined;

  constructor(child: ChildProcess) {
    this.#child = child;
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    if (child.stdout)
      createInterface({ input: child.stdout }).on('line', (line) => {
        this.#answer(line);
      });
    // Writing to a peer that died raises EPIPE here; its exit is reported below instead.
    child.stdin?.on('error', () => undefined);
    // A dead peer fails its callers at once, not at their timeouts.
    this.#exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.#fail(`nio peer could not start: ${error.message}`);
        resolve();
      });
      child.once('close', (code, signal) => {
        this.#fail(`nio peer exited (${signal ?? `code ${String(code)}`})`);
        resolve();
      });
    });
  }

  /** Send one command; resolve its result or reject with the peer's error. */
  call(
    cmd: string,
    args: Record<string, unknown>,
    peerTimeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<Record<string, unknown>> {
    if (this.#exitReason !== undefined)
      return Promise.reject(new NioPeerError(`${cmd}: ${this.#exitReason}${this.#tail()}`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new NioPeerError(
            `${cmd}: no answer from the nio peer within ${String(peerTimeoutMs + MARGIN_MS)} ms${this.#tail()}`,
          ),
        );
      }, peerTimeoutMs + MARGIN_MS);
      this.#pending.set(id, { resolve, reject, timer });
      this.#child.stdin?.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  /** Ask the peer to stop; kill it if it does not within the grace period. */
  async quit(): Promise<void> {
    if (this.#exitReason === undefined)
      this.#child.stdin?.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), CLOSE_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  #answer(line: string): void {
    let reply: { id?: unknown; ok?: unknown; result?: unknown; error?: unknown; errcode?: unknown };
    try {
      reply = JSON.parse(line) as typeof reply;
    } catch {
      this.stderr += `(not JSON on stdout) ${line}\n`;
      return;
    }
    const pending = typeof reply.id === 'number' ? this.#pending.get(reply.id) : undefined;
    if (!pending || typeof reply.id !== 'number') return;
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.ok === true) pending.resolve((reply.result ?? {}) as Record<string, unknown>);
    else
      pending.reject(
        new NioPeerError(
          typeof reply.error === 'string' ? reply.error : 'the nio peer failed without a reason',
          typeof reply.errcode === 'string' ? reply.errcode : undefined,
        ),
      );
  }

  #fail(reason: string): void {
    this.#exitReason ??= reason;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new NioPeerError(`${reason}${this.#tail()}`));
      this.#pending.delete(id);
    }
  }

  #tail(): string {
    const lines = this.stderr.trimEnd().split('\n').slice(-20).join('\n');
    return lines ? `\n--- nio peer stderr ---\n${lines}` : '';
  }
}
