/**
 * The XMPP implementation of the transport interface: one logical connection that survives
 * stream deaths (a new session per connection, backoff with jitter, rooms rejoined, queued
 * sends flushed), speaking our payloads as `urn:mx-agent:0` elements.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { xml } from '@xmpp/xml';
import { AuthError, NetworkError, UsageError, messageOf, quote } from '../../errors.ts';
import { Backoff, DEFAULT_BACKOFF } from '../backoff.ts';
import { DEFAULT_WAIT_MS, withDeadline } from '../deadline.ts';
import { Listeners } from '../listeners.ts';
import { assertValidOutbound } from '../payload.ts';
import type * as T from '../transport.ts';
import { parseXmppAddress } from './address.ts';
import { MessageArchive } from './archive.ts';
import { BlobStore } from './blobs.ts';
import { encodeMessage, splitResource } from './codec.ts';
import type { XmppTransportOptions } from './options.ts';
import { Outbox } from './outbox.ts';
import { PepState } from './pep-state.ts';
import { RecentIds } from './recent-ids.ts';
import { Rooms, presenceChildren } from './rooms.ts';
import { Services } from './services.ts';
import { startKeepalive } from './keepalive.ts';
import { sessionHandlers } from './session-handlers.ts';
import { destroy, openClientSession, openComponentSession, type XmppSession } from './session.ts';

/** Transport over XMPP (client or component). */
export class XmppTransport implements T.Transport {
  readonly network = 'xmpp';
  readonly membership = 'session';
  readonly #options: XmppTransportOptions;
  readonly #listeners: Listeners;
  readonly #outbox = new Outbox();
  readonly #rooms: Rooms;
  readonly #seen = new RecentIds(10_000);
  readonly #backoff: Backoff;
  readonly #resource: string;
  readonly #services: Services;
  readonly #blobs: BlobStore;
  readonly #workspaceState: PepState;
  readonly #archive: MessageArchive;
  #session: XmppSession | undefined;
  #state: T.ConnectionState = 'offline';
  #address = '';
  #presence: { availability: T.Availability; status?: string } = { availability: 'available' };
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** The server's domain: the JID's domain, or the component domain's parent. */
  readonly #server: string;

  constructor(options: XmppTransportOptions) {
    this.#options = options;
    this.#listeners = new Listeners((error) => {
      this.#log('warn', `a transport listener threw: ${String(error)}`);
    });
    this.#rooms = new Rooms((event) => {
      this.#listeners.emit(event);
    });
    this.#backoff = new Backoff({ ...DEFAULT_BACKOFF, ...options.backoff });
    this.#resource =
      options.mode === 'client'
        ? (options.resource ?? `mx-agent-${randomBytes(4).toString('hex')}`)
        : '';
    const session = (): XmppSession => this.#requireSession();
    this.#server =
      options.mode === 'client'
        ? (options.jid.split('@')[1] ?? '')
        : options.domain.replace(/^[^.]+\./, '');
    this.#services = new Services(session, this.#server);
    this.#blobs = new BlobStore(session, this.#services, () => this.#address);
    this.#workspaceState = new PepState(session, (room) => [
      this.#address.split('/')[0] ?? '',
      ...this.#rooms.members(room).flatMap((m) => (m.account ? [m.account] : [])),
    ]);
    this.#archive = new MessageArchive({
      request: (iq, timeoutMs) => session().iqCaller.request(iq, timeoutMs),
      self: () => this.#address,
      nickIn: (room) => this.#rooms.nickIn(room),
      log: (level, message) => {
        this.#log(level, message);
      },
    });
  }

  get address(): string {
    return this.#address;
  }

  get state(): T.ConnectionState {
    return this.#state;
  }

  subscribe(listener: T.TransportListener): () => void {
    return this.#listeners.add(listener);
  }

  async connect(options?: T.WaitOptions): Promise<void> {
    if (this.#state === 'online' || this.#state === 'reconnecting') return;
    if (this.#state === 'closed')
      throw new NetworkError('this transport was closed; create a new one');
    this.#setState('connecting');
    const timeoutMs = options?.timeoutMs ?? this.#options.connectTimeoutMs ?? 10_000;
    const opening = this.#open(timeoutMs);
    try {
      // The attempt has its own timeout; the caller's signal can end the wait sooner.
      await withDeadline(
        'the connection',
        { ...options, timeoutMs: timeoutMs + 1000 },
        () => opening,
      );
    } catch (error) {
      // An attempt that completes after an abort finds the state offline and hangs up.
      this.#setState('offline', error);
      opening.catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const session = this.#session;
    this.#state = 'closed';
    clearTimeout(this.#reconnectTimer);
    if (session) {
      // Give queued messages a moment to reach the server before we hang up.
      for (let waited = 0; this.#outbox.size > 0 && waited < 2000; waited += 50)
        await new Promise((r) => setTimeout(r, 50));
      for (const room of this.#rooms.joined())
        await this.#rooms.leave(session, room).catch(() => undefined);
    }
    this.#session = undefined;
    this.#outbox.failAll(
      new NetworkError('the transport was closed before the message was delivered'),
    );
    await session?.entity.stop().catch(() => {
      destroy(session.entity);
    });
    this.#blobs.clear();
    this.#listeners.emit({ type: 'connection', state: 'closed' });
  }

  async resolveTarget(input: string, options?: T.WaitOptions): Promise<T.Target> {
    const address = parseXmppAddress(input);
    const [bare, resource] = splitResource(address);
    if (this.#rooms.nickIn(bare) !== undefined && !resource)
      return { kind: 'workspace', workspace: bare };
    if (resource || !bare.includes('@')) return { kind: 'direct', address };
    const isRoom = await withDeadline(
      `disco#info of ${bare}`,
      options,
      () => this.#services.isRoom(bare),
      5000,
    );
    return isRoom ? { kind: 'workspace', workspace: bare } : { kind: 'direct', address };
  }

  async send(
    target: T.Target,
    content: T.Outbound,
    options?: T.WaitOptions,
  ): Promise<T.SendReceipt> {
    assertValidOutbound(content);
    this.#assertUsable();
    const to = target.kind === 'direct' ? parseXmppAddress(target.address) : target.workspace;
    if (target.kind === 'workspace' && !this.#rooms.tracks(target.workspace)) {
      throw new UsageError(`not joined to workspace ${quote(target.workspace)}: join it first`);
    }
    const id = randomUUID();
    await this.#outbox.send(
      encodeMessage(to, target, content, id),
      options?.timeoutMs ?? DEFAULT_WAIT_MS,
      options?.signal,
    );
    return { id };
  }

  async joinWorkspace(workspace: string, options?: T.WaitOptions): Promise<T.WorkspaceInfo> {
    const room = parseXmppAddress(workspace);
    if (!room.includes('@') || room.includes('/')) {
      throw new UsageError(
        `expected a room address like room@conference.example.org, got ${quote(workspace)}`,
      );
    }
    const nick =
      this.#options.nick ??
      (this.#options.mode === 'client'
        ? this.#options.jid.split('@')[0]
        : this.#options.domain.split('.')[0]) ??
      'agent';
    return this.#rooms.join(
      this.#requireSession(),
      room,
      nick,
      options?.timeoutMs ?? DEFAULT_WAIT_MS,
    );
  }

  async leaveWorkspace(workspace: string): Promise<void> {
    await this.#rooms.leave(this.#session, workspace);
  }

  joinedWorkspaces(): readonly string[] {
    return this.#rooms.joined();
  }

  members(workspace: string): readonly T.Member[] {
    return this.#rooms.members(workspace);
  }

  async setPresence(availability: T.Availability, status?: string): Promise<void> {
    this.#presence = { availability, ...(status ? { status } : {}) };
    const session = this.#requireSession();
    const children = presenceChildren(availability, status);
    if (this.#options.mode === 'client')
      await session.entity.send(xml('presence', {}, ...children));
    await this.#rooms.broadcastPresence(session, children);
  }

  putBlob(data: Uint8Array, meta?: T.BlobMeta, options?: T.WaitOptions): Promise<T.BlobRef> {
    return withDeadline(
      'a blob upload',
      options,
      (signal) => this.#blobs.put(data, meta ?? {}, signal),
      120_000,
    );
  }

  getBlob(ref: T.BlobRef, options?: T.WaitOptions): Promise<Uint8Array> {
    return withDeadline(
      `blob ${ref.uri}`,
      options,
      (signal) => this.#blobs.get(ref, signal),
      120_000,
    );
  }

  putState(
    workspace: string,
    type: string,
    key: string,
    content: T.JsonObject,
    options?: T.WaitOptions,
  ): Promise<void> {
    this.#assertJoined(workspace);
    return withDeadline('a state write', options, () =>
      this.#workspaceState.put(workspace, type, key, content),
    );
  }

  getState(
    workspace: string,
    type: string,
    key: string,
    options?: T.WaitOptions,
  ): Promise<T.JsonObject | undefined> {
    this.#assertJoined(workspace);
    return withDeadline('a state read', options, () =>
      this.#workspaceState.get(workspace, type, key),
    );
  }

  listState(
    workspace: string,
    type: string,
    options?: T.WaitOptions,
  ): Promise<readonly T.StateEntry[]> {
    this.#assertJoined(workspace);
    return withDeadline('a state listing', options, () =>
      this.#workspaceState.list(workspace, type),
    );
  }

  async history(
    target: T.Target,
    query: T.HistoryQuery = {},
    options?: T.WaitOptions,
  ): Promise<T.HistoryPage> {
    if (this.#options.mode === 'component')
      throw new UsageError(
        'message history needs a client account (XEP-0313 archives belong to accounts); components have none',
      );
    this.#assertUsable();
    if (target.kind === 'workspace' && !this.#rooms.tracks(target.workspace))
      throw new UsageError(`not joined to workspace ${quote(target.workspace)}: join it first`);
    return this.#archive.history(target, query, options);
  }

  async #open(timeoutMs: number): Promise<void> {
    const install = sessionHandlers({
      identity: this.#options.software ?? { name: 'mx-agent', version: '0' },
      blobs: this.#blobs,
      archive: this.#archive,
      trace: this.#options.trace === true,
      rooms: this.#rooms,
      seen: this.#seen,
      self: () => this.#address,
      emit: (event) => {
        this.#listeners.emit(event);
      },
      log: (level, message) => {
        this.#log(level, message);
      },
    });
    const o = this.#options;
    const session =
      o.mode === 'client'
        ? await openClientSession({ ...o, resource: this.#resource }, install, timeoutMs)
        : await openComponentSession(o, install, timeoutMs);
    if (this.#state === 'closed' || this.#state === 'offline') {
      destroy(session.entity);
      return;
    }
    this.#session = session;
    this.#address = session.jid;
    session.entity.on('disconnect', () => {
      this.#onStreamLost(session);
    });
    // Stream errors and socket errors end in 'disconnect'; an unhandled 'error' would crash us.
    session.entity.on('error', (error: unknown) => {
      this.#log('warn', `xmpp stream error: ${messageOf(error)}`);
    });
    if (o.mode === 'client')
      await session.entity.send(
        xml(
          'presence',
          {},
          ...presenceChildren(this.#presence.availability, this.#presence.status),
        ),
      );
    await this.#rooms.rejoinAll(session, timeoutMs, (room, error) => {
      this.#log('warn', `could not rejoin ${room}: ${messageOf(error)}`);
    });
    this.#outbox.attach(session);
    this.#backoff.connected();
    this.#setState('online');
    startKeepalive(session, this.#server, () => {
      this.#log('info', 'the server stopped answering pings; reconnecting');
      destroy(session.entity);
    });
  }

  #onStreamLost(session: XmppSession): void {
    if (session !== this.#session) return;
    this.#session = undefined;
    this.#outbox.detach();
    this.#rooms.lostStream();
    this.#services.forget();
    if (this.#state === 'closed') return;
    this.#scheduleReconnect(new NetworkError('the connection to the server was lost'));
  }

  #scheduleReconnect(error: unknown): void {
    const delay = this.#backoff.nextDelay();
    this.#setState('reconnecting', error, delay);
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      this.#open(this.#options.connectTimeoutMs ?? 10_000).catch((failure: unknown) => {
        if (this.#state === 'closed') return;
        if (failure instanceof AuthError) {
          // Credentials stopped working: retrying would only lock the account.
          this.#outbox.failAll(failure);
          this.#setState('offline', failure);
          return;
        }
        this.#log('debug', `reconnect failed: ${messageOf(failure)}`);
        this.#scheduleReconnect(failure);
      });
    }, delay);
  }

  #requireSession(): XmppSession {
    if (this.#session) return this.#session;
    throw new NetworkError(
      this.#state === 'closed'
        ? 'the transport is closed'
        : `not connected to the XMPP server (${this.#state})`,
    );
  }

  #assertUsable(): void {
    if (this.#state === 'closed' || this.#state === 'offline') {
      throw new NetworkError(
        `the xmpp transport is ${this.#state}: ${this.#state === 'closed' ? 'it was closed' : 'connect first'}`,
      );
    }
  }

  #assertJoined(workspace: string): void {
    if (this.#options.mode === 'component') {
      throw new UsageError(
        "workspace state needs a client account (it lives in the account's PEP, XEP-0163); components have none",
      );
    }
    if (!this.#rooms.tracks(workspace))
      throw new UsageError(`not joined to workspace ${quote(workspace)}: join it first`);
  }

  #setState(state: T.ConnectionState, error?: unknown, retryInMs?: number): void {
    this.#state = state;
    const err = error instanceof Error ? error : undefined;
    this.#listeners.emit({
      type: 'connection',
      state,
      ...(err ? { error: err } : {}),
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    });
  }

  #log(level: 'debug' | 'info' | 'warn', message: string): void {
    this.#options.log?.(level, message);
  }
}
