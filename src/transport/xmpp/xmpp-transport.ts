/**
 * The XMPP implementation of the transport interface: one logical connection that survives
 * stream deaths (a new session per connection, backoff with jitter, rooms rejoined, queued
 * sends flushed), speaking our payloads as `urn:mx-agent:0` elements.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { AuthError, NetworkError, UsageError, messageOf, quote } from '../../errors.ts';
import { Backoff, DEFAULT_BACKOFF } from '../backoff.ts';
import { DEFAULT_WAIT_MS, withDeadline } from '../deadline.ts';
import { Listeners } from '../listeners.ts';
import { assertValidOutbound } from '../payload.ts';
import type * as T from '../transport.ts';
import type { AgentAsk } from '../agent-shapes.ts';
import { parseXmppAddress } from './address.ts';
import { AgentIqs } from './agent-iq.ts';
import { AGENT_FEATURES } from './agent-xml.ts';
import { MessageArchive } from './archive.ts';
import { BlobStore } from './blobs.ts';
import { ChatSignals, destination } from './chat.ts';
import { encodeMessage, splitResource } from './codec.ts';
import { Discovery } from './discovery.ts';
import { defaultNick, serverDomain, type XmppTransportOptions } from './options.ts';
import { Outbox } from './outbox.ts';
import { RecentIds } from './recent-ids.ts';
import { MessageIds } from './message-ids.ts';
import { presenceChildren } from './room-presence.ts';
import { Rooms } from './rooms.ts';
import { Services } from './services.ts';
import { startKeepalive } from './keepalive.ts';
import { sessionHandlers } from './session-handlers.ts';
import { destroy, openClientSession, openComponentSession, type XmppSession } from './session.ts';
import { Workspaces } from './workspaces.ts';

/** Transport over XMPP (client or component). */
export class XmppTransport implements T.Transport {
  readonly network = 'xmpp';
  readonly membership = 'session';
  readonly #options: XmppTransportOptions;
  readonly #listeners: Listeners;
  readonly #outbox = new Outbox();
  readonly #rooms: Rooms;
  readonly #seen = new RecentIds(10_000);
  readonly #messageIds = new MessageIds();
  readonly #chat: ChatSignals;
  readonly #backoff: Backoff;
  readonly #resource: string;
  readonly #services: Services;
  readonly #blobs: BlobStore;
  readonly #workspaces: Workspaces;
  readonly #archive: MessageArchive;
  readonly #discovery: Discovery;
  readonly #agent: AgentIqs;
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
    this.#rooms = new Rooms(
      (event) => {
        this.#listeners.emit(event);
      },
      () => this.#presenceChildren(),
    );
    this.#backoff = new Backoff({ ...DEFAULT_BACKOFF, ...options.backoff });
    this.#resource =
      options.mode === 'client'
        ? (options.resource ?? `mx-agent-${randomBytes(4).toString('hex')}`)
        : '';
    const session = (): XmppSession => this.#requireSession();
    this.#server = serverDomain(options);
    this.#discovery = new Discovery({
      session,
      server: this.#server,
      component: options.mode === 'component',
      softwareName: options.software?.name ?? 'mx-agent',
      log: (message) => {
        this.#log('info', message);
      },
    });
    this.#services = new Services(session, this.#server);
    this.#blobs = new BlobStore(session, this.#services, () => this.#address);
    this.#workspaces = new Workspaces({
      rooms: this.#rooms,
      session,
      assertUsable: () => {
        this.#assertUsable();
      },
      self: () => this.#address.split('/')[0] ?? '',
      nick: defaultNick(options),
      component: options.mode === 'component',
    });
    this.#agent = new AgentIqs({
      ...(options.agentDeadlineMs === undefined ? {} : { deadlineMs: options.agentDeadlineMs }),
      log: (message) => {
        this.#log('warn', message);
      },
    });
    this.#chat = new ChatSignals({
      outbox: this.#outbox,
      rooms: this.#rooms,
      messageIds: this.#messageIds,
      state: () => this.#state,
      assertUsable: () => {
        this.#assertUsable();
      },
    });
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
    this.#agent.answerer.close();
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
    const { to } = destination(target, this.#rooms);
    const id = (content.type === 'text' ? content.id : undefined) ?? randomUUID();
    await this.#outbox.send(
      encodeMessage(to, target, content, id),
      options?.timeoutMs ?? DEFAULT_WAIT_MS,
      options?.signal,
    );
    return { id };
  }

  joinWorkspace(workspace: string, options?: T.JoinOptions): Promise<T.WorkspaceInfo> {
    return this.#workspaces.join(workspace, options);
  }

  createWorkspace(
    workspace: string,
    settings: T.WorkspaceSettings = {},
    options?: T.WaitOptions,
  ): Promise<T.WorkspaceInfo> {
    return this.#workspaces.create(workspace, settings, options);
  }

  invite(workspace: string, account: string, options?: T.WaitOptions): Promise<void> {
    return this.#workspaces.invite(workspace, account, options);
  }

  setRole(
    workspace: string,
    account: string,
    role: Exclude<T.WorkspaceRole, 'owner'>,
    options?: T.WaitOptions,
  ): Promise<void> {
    return this.#workspaces.setRole(workspace, account, role, options);
  }

  roles(workspace: string, options?: T.WaitOptions): Promise<readonly T.RoleEntry[]> {
    return this.#workspaces.roles(workspace, options);
  }

  async advertise(advertisement: T.Advertisement, options?: T.WaitOptions): Promise<void> {
    await this.#discovery.advertise(advertisement, options);
    // New caps and agent summary: tell the server, contacts and every room.
    await this.setPresence(this.#presence.availability, this.#presence.status);
  }

  searchDirectory(
    query: T.DirectoryQuery = {},
    options?: T.WaitOptions,
  ): Promise<readonly T.DirectoryEntry[]> {
    return this.#discovery.search(query, options);
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
    if (this.#options.mode === 'client')
      await session.entity.send(xml('presence', {}, ...this.#presenceChildren()));
    await this.#rooms.broadcastPresence(session);
  }

  answerAgentRequests(handler: T.AgentRequestHandler | undefined): void {
    this.#agent.answerer.set(handler);
    this.#discovery.advert.offer(handler ? AGENT_FEATURES : []);
    // The caps hash changed: tell contacts and rooms (XEP-0115 §4).
    if (this.#state === 'online')
      this.setPresence(this.#presence.availability, this.#presence.status).catch((e: unknown) => {
        this.#log('warn', `could not announce our new features: ${messageOf(e)}`);
      });
  }

  async askAgent(to: string, request: AgentAsk, options?: T.WaitOptions): Promise<T.AgentResponse> {
    this.#assertUsable();
    const session = (): XmppSession => this.#requireSession();
    return this.#agent.ask(session, parseXmppAddress(to), request, options);
  }

  setTyping(target: T.Target, typing: boolean, options?: T.WaitOptions): Promise<void> {
    return this.#chat.setTyping(target, typing, options);
  }

  react(target: T.Target, messageId: string, emoji: string, options?: T.WaitOptions) {
    return this.#chat.react(target, messageId, emoji, options);
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
    return this.#workspaces.putState(workspace, { type, key, content }, options);
  }

  getState(
    workspace: string,
    type: string,
    key: string,
    options?: T.WaitOptions,
  ): Promise<T.JsonObject | undefined> {
    return this.#workspaces.getState(workspace, type, key, options);
  }

  listState(
    workspace: string,
    type: string,
    options?: T.WaitOptions,
  ): Promise<readonly T.StateEntry[]> {
    return this.#workspaces.listState(workspace, type, options);
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
      advert: this.#discovery.advert,
      agent: this.#agent,
      component: this.#options.mode === 'component',
      blobs: this.#blobs,
      archive: this.#archive,
      trace: this.#options.trace === true,
      rooms: this.#rooms,
      seen: this.#seen,
      messageIds: this.#messageIds,
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
      await session.entity.send(xml('presence', {}, ...this.#presenceChildren()));
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

  /** Our presence children: availability, status, caps and the agent summary. */
  #presenceChildren(): Element[] {
    const { availability, status } = this.#presence;
    return [
      ...presenceChildren(availability, status),
      ...this.#discovery.advert.presenceElements(),
    ];
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
