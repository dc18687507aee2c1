/**
 * Matrix peers for integration tests: a dev homeserver on a fixed free port (so it can be
 * restarted in place), accounts registered through the real API, and Matrix transports on
 * private stores under one temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHomeserver, type Homeserver } from '../../src/devserver/homeserver.ts';
import type { RateLimitOptions } from '../../src/devserver/rate-limit.ts';
import {
  createMatrixTransport,
  type MatrixTransportOptions,
} from '../../src/transport/matrix/index.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { freePort } from '../../src/devserver/xmpp/ports.ts';
import { call, register } from './devserver.ts';
import { EventRecorder } from './event-recorder.ts';

/**
 * Device stores of one process share a parent directory (indexeddbshim keeps one base path
 * per process, see src/transport/matrix/store.ts), so every testbed of a test file uses this one.
 */
const STORES = join(tmpdir(), `mx-matrix-stores-${String(process.pid)}`);
process.once('exit', () => {
  rmSync(STORES, { recursive: true, force: true });
});

/** A registered account with one logged-in device. */
export interface MatrixAccount {
  readonly userId: string;
  readonly password: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

/** A dev homeserver that tests can restart, and the peers on it. */
export class MatrixTestbed {
  readonly dir: string;
  readonly port: number;
  #hs: Homeserver | undefined;
  #users = 0;
  readonly #open: Transport[] = [];
  readonly #rateLimit: RateLimitOptions | undefined;

  private constructor(dir: string, port: number, rateLimit?: RateLimitOptions) {
    this.dir = dir;
    this.port = port;
    this.#rateLimit = rateLimit;
  }

  static async start(rateLimit?: RateLimitOptions): Promise<MatrixTestbed> {
    const bed = new MatrixTestbed(
      mkdtempSync(join(tmpdir(), 'mx-matrix-')),
      await freePort(),
      rateLimit,
    );
    await bed.up();
    return bed;
  }

  get hs(): Homeserver {
    if (!this.#hs) throw new Error('the homeserver is down');
    return this.#hs;
  }

  get url(): string {
    return `http://127.0.0.1:${String(this.port)}`;
  }

  async up(): Promise<void> {
    this.#hs = await startHomeserver({
      dataDir: join(this.dir, 'hs'),
      port: this.port,
      ...(this.#rateLimit ? { rateLimit: this.#rateLimit } : {}),
    });
  }

  async down(): Promise<void> {
    const hs = this.#hs;
    this.#hs = undefined;
    await hs?.close();
  }

  /** Stop the homeserver for `ms`, then start it again on the same port and data. */
  async restart(ms = 500): Promise<void> {
    await this.down();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.up();
  }

  /** Register a new account (unique name per call) and return its first device. */
  async account(prefix = 'peer'): Promise<MatrixAccount> {
    const name = `${prefix}${String(process.pid)}x${String(++this.#users)}`;
    const password = `${name}-pw`;
    const { userId, token } = await register(this.hs, name, password);
    const who = await call(this.hs, 'GET', '/_matrix/client/v3/account/whoami', undefined, token);
    return { userId, password, accessToken: token, deviceId: String(who.body.device_id) };
  }

  /** The options of a transport for `account`, its store under the testbed. */
  options(
    account: MatrixAccount,
    extra: Partial<MatrixTransportOptions> = {},
  ): MatrixTransportOptions {
    return {
      homeserver: this.url,
      userId: account.userId,
      accessToken: account.accessToken,
      deviceId: account.deviceId,
      storeDir: join(STORES, `${account.userId.slice(1).replace(/:.*/, '')}-${account.deviceId}`),
      connectTimeoutMs: 20_000,
      pollTimeoutMs: 5_000,
      backoff: { initialMs: 100, maxMs: 1_000 },
      ...extra,
    };
  }

  /** Connect a transport for `account`, recording its events; closed by `dispose()`. */
  async connect(
    account: MatrixAccount,
    extra: Partial<MatrixTransportOptions> = {},
  ): Promise<{ t: Transport; r: EventRecorder }> {
    const t = createMatrixTransport(this.options(account, extra));
    const r = new EventRecorder(t);
    await t.connect();
    this.#open.push(t);
    return { t, r };
  }

  /** A transport for a new account (not connected). */
  async peer(extra: Partial<MatrixTransportOptions> = {}): Promise<Transport> {
    return createMatrixTransport(this.options(await this.account(), extra));
  }

  /** The room id an alias points to, as the directory answers. */
  async roomIdOf(alias: string): Promise<string> {
    const r = await call(
      this.hs,
      'GET',
      `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`,
    );
    if (typeof r.body.room_id !== 'string')
      throw new Error(`no room for ${alias}: ${String(r.status)}`);
    return r.body.room_id;
  }

  /** A workspace alias nobody has used yet. */
  workspace(prefix = 'ws'): string {
    return `#${prefix}${String(process.pid)}-${String(++this.#users)}:${this.hs.serverName}`;
  }

  async dispose(): Promise<void> {
    await Promise.allSettled(this.#open.splice(0).map((t) => t.close()));
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
