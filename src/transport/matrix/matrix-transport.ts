/**
 * The Matrix implementation of the transport interface: matrix-js-sdk with the Rust crypto
 * (WebAssembly) on a persistent store. Workspaces are rooms, direct conversations are DM rooms,
 * payloads are custom events, and everything we create is end-to-end encrypted unless told
 * otherwise. One device per store, one process per device (store.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  ClientEvent,
  createClient,
  IndexedDBStore,
  MatrixError,
  MatrixEventEvent,
  PendingEventOrdering,
  RoomEvent,
  RoomMemberEvent,
  RoomStateEvent,
  HttpApiEvent,
  SyncState,
  UserEvent,
  type MatrixClient,
  type MatrixEvent,
  type Room,
  type RoomMember,
  type User,
} from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/index.js';
import type { Trust } from './trust.ts';
import { TrustWiring } from './trust-wiring.ts';
import {
  AuthError,
  NetworkError,
  RefusedError,
  UsageError,
  messageOf,
  quote,
} from '../../errors.ts';
import { sleep, withDeadline } from '../deadline.ts';
import { agentRequestsOver, type AgentRequests } from '../agent-requests.ts';
import type { AgentAsk } from '../agent-shapes.ts';
import { Listeners } from '../listeners.ts';
import { assertValidOutbound } from '../payload.ts';
import * as T from '../transport.ts';
import { parseRoomReference, parseUserId, serverOf } from './address.ts';
import { RoomOutbox } from './outbox.ts';
import { assertMatrixText } from './chat-content.ts';
import { encodeReaction, REACTION_TYPE } from './reactions.ts';
import { sendTyping } from './typing.ts';
import { whoami } from './account.ts';
import { Inbound } from './inbound.ts';
import { DirectRooms } from './direct.ts';
import { fromPresence, TO_PRESENCE } from './room-defaults.ts';
import { authError, isAuthFailure, mapMatrixError } from './matrix-errors.ts';
import { assertStateType, listState, readState, writeState } from './state.ts';
import { downloadBlob, uploadBlob } from './media.ts';
import { assertHistoryQuery, readHistory, type HistoryContext } from './history.ts';
import type { MatrixTransportOptions } from './options.ts';
import { assertDirectoryQuery, searchRooms } from './directory.ts';
import { assignRole, inviteAccount, listRoles, type AdminTarget } from './workspace-admin.ts';
import {
  assertCreatable,
  isAliasTaken,
  joinFailure,
  workspaceExists,
  workspaceRoomOptions,
} from './workspace-rooms.ts';
import {
  backoffMs,
  createScheduler,
  guardedFetch,
  isTransient,
  PLAINTEXT_REFUSED,
  sdkLogger,
  unrefSdkRequestTimers,
} from './sdk.ts';
import { withDeadlines } from './request-deadlines.ts';
import { indexedDbFor, Ledger, lockStore, releaseIndexedDb, storageKey } from './store.ts';
import { SyncRetry } from './sync-retry.ts';
import { GapReader } from './gap.ts';
import { DEFAULT_BACKOFF } from '../backoff.ts';

/** How often the sync state (token, rooms) is saved while running. */
const SYNC_SAVE_MS = 30_000;

/** Transport over Matrix. */
export class MatrixTransport implements T.Transport {
  readonly network = 'matrix';
  readonly membership = 'durable';
  readonly #options: MatrixTransportOptions;
  readonly #listeners: Listeners;
  #client: MatrixClient | undefined;
  #store: IndexedDBStore | undefined;
  #ledger: Ledger | undefined;
  #unlock: (() => void) | undefined;
  #state: T.ConnectionState = 'offline';
  #saver: NodeJS.Timeout | undefined;
  /** Pokes a dropped sync on our reconnect schedule, not the SDK's 5–10 s (sync-retry.ts). */
  #syncRetry: SyncRetry | undefined;
  /** When the current online period began: events older than that arrive delayed. */
  #onlineSince = 0;
  /** When this device started listening: older events are history. */
  #listeningSince = 0;
  #waitingOnline = Promise.withResolvers<undefined>();
  /** Workspaces joined through us, by name, and their room ids. */
  readonly #workspaces = new Map<string, string>();
  readonly #workspaceOf = new Map<string, string>();
  /** Direct rooms: peer → room, room → peer. */
  readonly #direct: DirectRooms;
  /** Rooms known to be encrypted: nothing goes into them in plaintext. */
  readonly #encrypted = new Set<string>();
  /** Per-room send queues: sends reach a room in the order they were made (outbox.ts). */
  readonly #outboxes = new Map<string, RoomOutbox>();
  readonly #inbound: Inbound;
  readonly #gaps: GapReader;
  /** The agent protocol as payloads in direct rooms (specs/protocol.md §11.3). */
  readonly #agent: AgentRequests;
  /**
   * What advertise() was last given. Matrix has no per-account place to publish it (agents are
   * found through the agent state of workspaces), so it is only kept.
   */
  #advertisement: T.Advertisement | undefined;

  /** A secret-storage key given for the current trust operation (backup set-up or restore). */
  /** Verification requests received, newest last. */
  readonly #trust = new TrustWiring((level, message) => {
    this.#log(level, message);
  });

  constructor(options: MatrixTransportOptions) {
    this.#options = options;
    this.#inbound = new Inbound({
      userId: this.#options.userId,
      floor: (roomId) => this.#floor(roomId),
      delivered: (eventId) => this.#ledger?.delivered(eventId) === true,
      record: (eventId) => {
        this.#ledger?.record(eventId);
      },
      encrypted: (roomId) => this.#encrypted.has(roomId),
      directPeer: (roomId) => this.#direct.peerOf(roomId),
      nameOf: (roomId) => this.#nameOf(roomId),
      onlineSince: () => this.#onlineSince,
      emit: (event) => {
        if (!this.#agent.take(event)) this.#emit(event);
      },
    });
    this.#gaps = new GapReader({
      inbound: this.#inbound,
      client: () => this.#client_(),
      encrypted: (roomId) => this.#encrypted.has(roomId),
      online: (signal) => this.#online(signal),
      delivered: (eventId) => this.#ledger?.delivered(eventId) === true,
      floor: (roomId) => this.#floor(roomId),
      nameOf: (roomId) => this.#nameOf(roomId),
      log: (level, message) => {
        this.#log(level, message);
      },
    });
    this.#agent = agentRequestsOver(
      this,
      (event) => {
        this.#emit(event);
      },
      options,
    );
    this.#direct = new DirectRooms({
      userId: options.userId,
      encryption: options.encryption !== false,
      client: () => this.#client_(),
      isWorkspace: (roomId) => this.#workspaceOf.has(roomId),
      created: (roomId, encrypted) => {
        if (encrypted) this.#encrypted.add(roomId);
        this.#ledger?.setFloor(roomId, 0);
      },
      ready: (roomId, signal) => this.#roomReady(roomId, signal),
      log: (level, message) => {
        this.#log(level, message);
      },
    });
    this.#listeners = new Listeners((error) => {
      this.#log('warn', `a transport listener threw: ${String(error)}`);
    });
  }

  get address(): string {
    return this.#client ? this.#options.userId : '';
  }

  get state(): T.ConnectionState {
    return this.#state;
  }

  subscribe(listener: T.TransportListener): () => void {
    return this.#listeners.add(listener);
  }

  // ── connection ──────────────────────────────────────────────────────────────────────────

  async connect(options?: T.WaitOptions): Promise<void> {
    if (this.#state === 'closed') throw new NetworkError('the transport is closed');
    if (this.#client) return;
    parseUserId(this.#options.userId);
    this.#setState('connecting');
    try {
      await withDeadline(
        `the Matrix homeserver ${this.#options.homeserver}`,
        { timeoutMs: this.#options.connectTimeoutMs ?? 10_000, ...options },
        (signal) => this.#start(signal),
      );
    } catch (error) {
      await this.#teardown();
      this.#setState('offline');
      throw error;
    }
  }

  async #start(signal: AbortSignal): Promise<void> {
    const opts = this.#options;
    // The token first: a clear AuthError or NetworkError before any store is touched.
    await whoami(opts.homeserver, opts.accessToken, opts, signal);
    this.#unlock = lockStore(opts.storeDir);
    this.#ledger = new Ledger(opts.storeDir);
    this.#listeningSince = this.#ledger.listeningSince();
    for (const [name, roomId] of this.#ledger.workspaces()) this.#rememberWorkspace(name, roomId);
    const prefix = await indexedDbFor(opts.storeDir);
    unrefSdkRequestTimers();
    const store = new IndexedDBStore({
      indexedDB: (globalThis as Record<string, unknown>).indexedDB as never,
      dbName: `${prefix}-sync`,
    });
    await store.startup();
    this.#store = store;
    const client = createClient({
      baseUrl: opts.homeserver,
      userId: opts.userId,
      deviceId: opts.deviceId,
      accessToken: opts.accessToken,
      store,
      scheduler: createScheduler(opts.backoff?.maxMs ?? 10_000),
      fetchFn: withDeadlines(guardedFetch((roomId) => this.#encrypted.has(roomId))),
      cryptoCallbacks: this.#trust.cryptoCallbacks,
      logger: sdkLogger(opts.log),
    });
    this.#client = client;
    this.#syncRetry = new SyncRetry(
      () => {
        client.retryImmediately();
      },
      { ...DEFAULT_BACKOFF, ...opts.backoff },
    );
    await client.initRustCrypto({
      useIndexedDB: true,
      cryptoDatabasePrefix: `${prefix}-crypto`,
      storageKey: storageKey(opts.storeDir),
    });
    this.#wire(client);
    const ready = Promise.withResolvers<undefined>();
    // Restarting from a saved sync, "prepared" means "loaded from disk": connected means the
    // first sync from the saved token has come back (what was missed is delivered by then).
    const resumed = (await store.getSavedSyncToken()) !== null;
    const onSync = (state: SyncState, _previous: SyncState | null, data?: { error?: Error }) => {
      if (state === SyncState.Syncing || (state === SyncState.Prepared && !resumed)) {
        ready.resolve(undefined);
      } else if (state === SyncState.Error && data?.error && isAuthFailure(data.error)) {
        ready.reject(authError(data.error));
      }
    };
    const onAbort = (): void => {
      ready.reject(signal.reason as Error);
    };
    client.on(ClientEvent.Sync, onSync);
    signal.addEventListener('abort', onAbort, { once: true });
    // Settled by whichever comes first; a startClient failure must not leave it unhandled.
    ready.promise.catch(() => undefined);
    try {
      await client.startClient({
        initialSyncLimit: 50,
        pollTimeout: opts.pollTimeoutMs ?? 30_000,
        lazyLoadMembers: false,
        pendingEventOrdering: PendingEventOrdering.Detached,
      });
      await ready.promise;
    } finally {
      client.off(ClientEvent.Sync, onSync);
      signal.removeEventListener('abort', onAbort);
    }
    for (const room of client.getRooms()) this.#learnRoom(room);
    // The SDK saves its sync state every 5 minutes; after a crash, a token that old can leave a
    // gap the server reports as a limited timeline. Save every 30 s instead (cheap: the store
    // is in memory and written through to SQLite).
    this.#saver = setInterval(() => {
      void store.save(true).catch((error: unknown) => {
        this.#log('debug', `could not save the Matrix sync state: ${messageOf(error)}`);
      });
    }, SYNC_SAVE_MS);
    this.#saver.unref();
  }

  #wire(client: MatrixClient): void {
    client.on(ClientEvent.Sync, (state) => {
      if (this.#state === 'closed') return;
      if (
        state === SyncState.Prepared ||
        state === SyncState.Syncing ||
        state === SyncState.Catchup
      ) {
        this.#syncRetry?.restored();
        this.#setState('online');
      } else if (state === SyncState.Error || state === SyncState.Reconnecting) {
        this.#syncRetry?.lost();
        this.#setState('reconnecting');
      }
    });
    client.on(RoomEvent.Timeline, (event, room, toStart, _removed, data) => {
      if (toStart || !room || !data.liveEvent) return;
      this.#gaps.seen(event, room.roomId);
      this.#inbound.enqueue(event, room);
    });
    // A limited sync skipped events: they are read back and delivered in their place (gap.ts).
    client.on(RoomEvent.TimelineReset, (room, timelines) => {
      if (room && timelines === room.getUnfilteredTimelineSet()) this.#gaps.reset(room);
    });
    client.on(MatrixEventEvent.Decrypted, (event) => {
      const room = client.getRoom(event.getRoomId());
      if (!room) return;
      this.#inbound.decrypted(event, room);
    });
    client.on(ClientEvent.Room, (room) => {
      this.#learnRoom(room);
    });
    client.on(RoomStateEvent.Events, (event) => {
      if (event.getType() === 'm.room.encryption' && event.getStateKey() === '') {
        this.#encrypted.add(event.getRoomId() ?? '');
      }
    });
    client.on(ClientEvent.AccountData, (event) => {
      if (event.getType() === 'm.direct') this.#direct.learn(event.getContent());
    });
    client.on(RoomMemberEvent.Membership, (event, member, previous) => {
      this.#onMembership(event, member, previous);
    });
    client.on(UserEvent.Presence, (event, user) => {
      if (event) this.#onPresence(user);
    });
    client.on(HttpApiEvent.SessionLoggedOut, () => {
      this.#log('warn', `the homeserver logged out ${this.#options.userId}: log in again`);
      void this.close(new AuthError('the homeserver invalidated the access token; log in again'));
    });
    this.#trust.wire(client);
    client.on(CryptoEvent.UserTrustStatusChanged, (userId, status) => {
      if (status.needsUserApproval) {
        this.#log(
          'warn',
          `WARNING: the identity of ${userId} changed since it was first seen; messages to them still go out, but verify it is really them: mx-agent verify ${userId}`,
        );
      }
    });
  }

  #setState(state: T.ConnectionState, error?: Error): void {
    if (this.#state === state) return;
    this.#state = state;
    if (state === 'online') {
      this.#onlineSince = Date.now();
      this.#waitingOnline.resolve(undefined);
    } else if (state !== 'closed') {
      this.#waitingOnline = Promise.withResolvers<undefined>();
    }
    this.#emit({ type: 'connection', state, ...(error ? { error } : {}) });
  }

  async #online(signal: AbortSignal): Promise<void> {
    while (this.#state !== 'online') {
      if (this.#state === 'closed') throw new NetworkError('the transport is closed');
      if (signal.aborted) throw signal.reason as Error;
      const { promise: aborted, reject } = Promise.withResolvers<never>();
      const onAbort = (): void => {
        reject(signal.reason as Error);
      };
      // Removed once the wait is over: a deadline firing later must not reject into the void.
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await Promise.race([this.#waitingOnline.promise, aborted]);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }
  }

  async close(reason?: Error): Promise<void> {
    if (this.#state === 'closed') return;
    this.#agent.close();
    this.#gaps.close();
    this.#setState('closed', reason);
    this.#waitingOnline.reject(new NetworkError('the transport is closed'));
    this.#waitingOnline.promise.catch(() => undefined);
    await this.#teardown();
  }

  async #teardown(): Promise<void> {
    clearInterval(this.#saver);
    this.#syncRetry?.stop();
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.stopClient();
      client.removeAllListeners();
    }
    // Save the sync token and room state now, so the next start syncs on from here.
    await this.#store?.save(true).catch((error: unknown) => {
      this.#log('warn', `could not save the Matrix sync state: ${messageOf(error)}`);
    });
    this.#store = undefined;
    if (this.#unlock) await releaseIndexedDb(this.#options.storeDir);
    this.#ledger?.close();
    this.#ledger = undefined;
    this.#unlock?.();
    this.#unlock = undefined;
  }

  #client_(): MatrixClient {
    if (this.#state === 'closed') throw new NetworkError('the transport is closed');
    if (!this.#client) throw new NetworkError('the transport is not connected');
    return this.#client;
  }

  // ── device trust (Matrix only) ──────────────────────────────────────────────────────────

  /** Verification, cross-signing and backup for this device; needs a connected transport. */
  trust(): Trust {
    return this.#trust.trustFor(this.#client_(), this.#options);
  }

  // ── inbound ─────────────────────────────────────────────────────────────────────────────

  /** Events before this time in a room are history, not input. */
  #floor(roomId: string): number {
    return Math.max(this.#listeningSince, this.#ledger?.floor(roomId) ?? 0);
  }

  #learnRoom(room: Room): void {
    if (room.hasEncryptionStateEvent()) this.#encrypted.add(room.roomId);
  }

  #onMembership(event: MatrixEvent, member: RoomMember, previous: string | null | undefined): void {
    const self = this.#options.userId;
    if (member.userId === self) {
      if (member.membership === 'invite' && event.getContent().is_direct === true) {
        void this.#direct.acceptInvite(member.roomId, event.getSender() ?? '');
      }
      return;
    }
    const workspace = this.#workspaceOf.get(member.roomId);
    if (!workspace || event.getTs() < this.#floor(member.roomId)) return;
    if (member.membership === 'join' && previous !== 'join') {
      this.#emit({ type: 'presence', from: member.userId, workspace, availability: 'available' });
    } else if (member.membership !== 'join' && previous === 'join') {
      this.#emit({ type: 'presence', from: member.userId, workspace, availability: 'offline' });
    }
  }

  #onPresence(user: User): void {
    if (user.userId === this.#options.userId) return;
    const availability = fromPresence(user.presence);
    const status = user.presenceStatusMsg;
    const shared = [...this.#workspaces].filter(
      ([, roomId]) => this.#client?.getRoom(roomId)?.getMember(user.userId)?.membership === 'join',
    );
    const base = {
      type: 'presence' as const,
      from: user.userId,
      availability,
      ...(status ? { status } : {}),
    };
    if (shared.length === 0) this.#emit(base);
    for (const [workspace] of shared) this.#emit({ ...base, workspace });
  }

  #emit(event: T.TransportEvent): void {
    this.#listeners.emit(event);
  }

  #log(level: 'debug' | 'info' | 'warn', message: string): void {
    this.#options.log?.(level, message);
  }

  #nameOf(roomId: string): string {
    return (
      this.#workspaceOf.get(roomId) ?? this.#client?.getRoom(roomId)?.getCanonicalAlias() ?? roomId
    );
  }

  #rememberWorkspace(name: string, roomId: string): void {
    this.#workspaces.set(name, roomId);
    this.#workspaceOf.set(roomId, name);
  }

  // ── targets and sending ─────────────────────────────────────────────────────────────────

  resolveTarget(input: string): Promise<T.Target> {
    const text = input.trim();
    if (text.startsWith('@'))
      return Promise.resolve({ kind: 'direct', address: parseUserId(text) });
    if (text.startsWith('#') || text.startsWith('!')) {
      return Promise.resolve({ kind: 'workspace', workspace: parseRoomReference(text) });
    }
    return Promise.reject(
      new UsageError(
        `expected a Matrix user id like @alice:example.org or a room like #team:example.org, got ${quote(input)}`,
      ),
    );
  }

  async send(
    target: T.Target,
    content: T.Outbound,
    options?: T.WaitOptions,
  ): Promise<T.SendReceipt> {
    if (this.#state === 'closed') throw new NetworkError('the transport is closed');
    assertValidOutbound(content);
    if (content.type === 'text') assertMatrixText(content);
    const txnId = `mxa-${(content.type === 'text' ? content.id : undefined) ?? randomUUID()}`;
    let roomId: string | undefined;
    try {
      return await withDeadline(`delivery to ${this.#checked(target)}`, options, async (signal) => {
        await this.#online(signal);
        roomId = await this.#roomOf(target, signal);
        return this.#outbox(roomId).submit(content, txnId, signal);
      });
    } catch (error) {
      if (roomId) this.#cancelPending(roomId, txnId);
      throw error;
    }
  }

  /** Check a target's form (UsageError); its name in messages. */
  #checked(target: T.Target): string {
    return target.kind === 'direct'
      ? parseUserId(target.address)
      : parseRoomReference(target.workspace);
  }

  /** The room of a target: the joined workspace's, or the DM room (made when missing). */
  async #roomOf(target: T.Target, signal: AbortSignal): Promise<string> {
    return target.kind === 'direct'
      ? this.#direct.roomFor(target.address, signal)
      : this.#joinedRoom(target.workspace);
  }

  async setTyping(target: T.Target, typing: boolean, options?: T.WaitOptions): Promise<void> {
    const name = this.#checked(target);
    await withDeadline(`typing in ${name}`, options, async (signal) => {
      await this.#online(signal);
      // No DM room yet: there is no conversation to show it in, and none is made for it.
      const roomId =
        target.kind === 'direct'
          ? this.#direct.existing(target.address)
          : this.#joinedRoom(target.workspace);
      if (roomId) await sendTyping(this.#client_(), roomId, name, typing);
    });
  }

  async react(
    target: T.Target,
    messageId: string,
    emoji: string,
    options?: T.WaitOptions,
  ): Promise<void> {
    const content = encodeReaction(messageId, emoji);
    const txnId = `mxa-${randomUUID()}`;
    await withDeadline(`a reaction in ${this.#checked(target)}`, options, async (signal) => {
      await this.#online(signal);
      const roomId = await this.#roomOf(target, signal);
      await this.#sendEvent(roomId, REACTION_TYPE, content, txnId, signal);
    });
  }

  /** The room's queue of sends: in order, payloads that wait for the wire batched. */
  #outbox(roomId: string): RoomOutbox {
    let outbox = this.#outboxes.get(roomId);
    if (!outbox) {
      outbox = new RoomOutbox({
        sendEvent: async (type, content, txnId, signal) =>
          (await this.#sendEvent(roomId, type, content, txnId, signal)).id,
        cancel: (txnId) => {
          this.#cancelPending(roomId, txnId);
        },
      });
      this.#outboxes.set(roomId, outbox);
    }
    return outbox;
  }

  async #sendEvent(
    roomId: string,
    type: string,
    content: T.JsonObject,
    txnId: string,
    signal: AbortSignal,
  ): Promise<T.SendReceipt> {
    for (let attempt = 0; ; attempt++) {
      await this.#online(signal);
      const client = this.#client_();
      await this.#roomReady(roomId, signal);
      try {
        const result = await client.sendEvent(roomId, type as never, content as never, txnId);
        return { id: result.event_id };
      } catch (error) {
        if (signal.aborted) throw signal.reason as Error;
        if (error instanceof MatrixError && error.errcode === PLAINTEXT_REFUSED) {
          throw new RefusedError(
            error.data.error ?? 'refused to send plaintext into an encrypted room',
          );
        }
        if (!isTransient(error) && !(error instanceof Error && /encrypt/i.test(error.message))) {
          throw mapMatrixError(error, `send to ${this.#nameOf(roomId)}`);
        }
        this.#log('debug', `send to ${roomId} failed (${messageOf(error)}); retrying`);
        this.#cancelPending(roomId, txnId);
        await sleep(backoffMs(attempt, this.#options.backoff?.maxMs ?? 10_000), signal);
      }
    }
  }

  #cancelPending(roomId: string, txnId: string): void {
    const client = this.#client;
    const pending = client
      ?.getRoom(roomId)
      ?.getPendingEvents()
      .find((e) => e.getTxnId() === txnId);
    if (!client || !pending) return;
    try {
      client.cancelPendingEvent(pending);
    } catch {
      // Already on the wire: the server de-duplicates by transaction id if it is sent again.
    }
  }

  /** Wait until the room is synced as joined and, if it is encrypted, its crypto knows it. */
  async #roomReady(roomId: string, signal: AbortSignal): Promise<Room> {
    const client = this.#client_();
    for (;;) {
      const room = client.getRoom(roomId);
      if (room?.getMyMembership() === 'join') {
        if (room.hasEncryptionStateEvent()) this.#encrypted.add(roomId);
        const crypto = client.getCrypto();
        if (!this.#encrypted.has(roomId)) return room;
        if (crypto && (await crypto.isEncryptionEnabledInRoom(roomId))) return room;
      }
      if (signal.aborted) throw signal.reason as Error;
      await sleep(50, signal);
    }
  }

  #joinedRoom(workspace: string): string {
    const roomId = this.#workspaces.get(workspace);
    if (!roomId) throw new UsageError(`not in workspace ${workspace}: join it first`);
    return roomId;
  }

  answerAgentRequests(handler: T.AgentRequestHandler | undefined): void {
    this.#agent.answer(handler);
  }

  async askAgent(to: string, request: AgentAsk, options?: T.WaitOptions): Promise<T.AgentResponse> {
    return this.#agent.ask(parseUserId(to), request, options);
  }

  // ── workspaces ──────────────────────────────────────────────────────────────────────────

  async joinWorkspace(workspace: string, options?: T.WaitOptions): Promise<T.WorkspaceInfo> {
    parseRoomReference(workspace);
    return withDeadline(`joining ${workspace}`, options, async (signal) => {
      await this.#online(signal);
      const client = this.#client_();
      let created = false;
      let roomId: string;
      try {
        roomId = (await client.joinRoom(workspace)).roomId;
      } catch (error) {
        if (
          !(error instanceof MatrixError) ||
          error.errcode !== 'M_NOT_FOUND' ||
          !workspace.startsWith('#')
        ) {
          throw joinFailure(error, workspace, this.#options.userId);
        }
        roomId = await this.#createMissing(workspace);
        created = true;
      }
      return this.#entered(workspace, roomId, created, signal);
    });
  }

  /** Remember a workspace just joined or created, wait until it is usable, and describe it. */
  async #entered(
    workspace: string,
    roomId: string,
    created: boolean,
    signal: AbortSignal,
  ): Promise<T.WorkspaceInfo> {
    this.#rememberWorkspace(workspace, roomId);
    this.#ledger?.addWorkspace(workspace, roomId);
    const room = await this.#roomReady(roomId, signal);
    const joinedAt = room.getMember(this.#options.userId)?.events.member?.getTs() ?? Date.now();
    this.#ledger?.setFloor(roomId, joinedAt);
    return { workspace, self: this.#options.userId, created, members: this.members(workspace) };
  }

  /** Create a workspace a join found missing, with the defaults (§4.2); or join a racer's. */
  async #createMissing(alias: string): Promise<string> {
    assertCreatable(alias, this.#options.userId, true);
    try {
      return await this.#createRoom(alias, undefined);
    } catch (error) {
      if (!isAliasTaken(error)) throw mapMatrixError(error, `create ${alias}`);
    }
    // Someone created it a moment ago: join theirs.
    try {
      return (await this.#client_().joinRoom(alias)).roomId;
    } catch (error) {
      throw joinFailure(error, alias, this.#options.userId);
    }
  }

  async #createRoom(alias: string, settings: T.WorkspaceSettings | undefined): Promise<string> {
    const encrypted = this.#options.encryption !== false;
    const { room_id: roomId } = await this.#client_().createRoom(
      workspaceRoomOptions(alias, settings, encrypted),
    );
    if (encrypted) this.#encrypted.add(roomId);
    return roomId;
  }

  async createWorkspace(
    workspace: string,
    settings: T.WorkspaceSettings = {},
    options?: T.WaitOptions,
  ): Promise<T.WorkspaceInfo> {
    parseRoomReference(workspace);
    assertCreatable(workspace, this.#options.userId, false);
    return withDeadline(`creating ${workspace}`, options, async (signal) => {
      await this.#online(signal);
      let roomId: string;
      try {
        roomId = await this.#createRoom(workspace, settings);
      } catch (error) {
        if (isAliasTaken(error)) throw workspaceExists(workspace, error);
        throw mapMatrixError(error, `create ${workspace}`);
      }
      return this.#entered(workspace, roomId, true, signal);
    });
  }

  // ── administration and the directory ───────────────────────────────────────────────────

  async invite(workspace: string, account: string, options?: T.WaitOptions): Promise<void> {
    parseUserId(account);
    const target = this.#admin(workspace);
    await withDeadline(`inviting ${account} into ${workspace}`, options, async (signal) => {
      await this.#online(signal);
      await inviteAccount(target(signal), account);
    });
  }

  async setRole(
    workspace: string,
    account: string,
    role: 'publisher' | 'member',
    options?: T.WaitOptions,
  ): Promise<void> {
    parseUserId(account);
    const target = this.#admin(workspace);
    await withDeadline(
      `setting the role of ${account} in ${workspace}`,
      options,
      async (signal) => {
        await this.#online(signal);
        await assignRole(target(signal), account, role);
      },
    );
  }

  async roles(workspace: string, options?: T.WaitOptions): Promise<readonly T.RoleEntry[]> {
    const target = this.#admin(workspace);
    return withDeadline(`the roles in ${workspace}`, options, async (signal) => {
      await this.#online(signal);
      return listRoles(target(signal));
    });
  }

  /** A joined workspace to administer; the client is taken when the work starts. */
  #admin(workspace: string): (signal: AbortSignal) => AdminTarget {
    const roomId = this.#joinedRoom(workspace);
    const self = this.#options.userId;
    return (signal) => ({ client: this.#client_(), roomId, workspace, self, signal });
  }

  /**
   * Matrix has no per-account place for an advertisement (no disco, no PEP): agents are found
   * through the agent state of the workspaces they publish in. It is kept, nothing is sent.
   */
  advertise(advertisement: T.Advertisement): Promise<void> {
    if (this.#state === 'closed' || !this.#client)
      return Promise.reject(new NetworkError(`the transport is ${this.#state}: connect first`));
    this.#advertisement = structuredClone(advertisement);
    return Promise.resolve();
  }

  /** What advertise() was last given (kept only; see advertise). */
  get advertisement(): T.Advertisement | undefined {
    return this.#advertisement;
  }

  async searchDirectory(
    query: T.DirectoryQuery = {},
    options?: T.WaitOptions,
  ): Promise<readonly T.DirectoryEntry[]> {
    assertDirectoryQuery(query);
    return withDeadline(
      `the room directory of ${query.server ?? serverOf(this.#options.userId)}`,
      options,
      async (signal) => {
        await this.#online(signal);
        return searchRooms(this.#client_(), query, signal);
      },
    );
  }

  async leaveWorkspace(workspace: string, options?: T.WaitOptions): Promise<void> {
    const roomId = this.#joinedRoom(workspace);
    await withDeadline(`leaving ${workspace}`, options, async (signal) => {
      await this.#online(signal);
      try {
        await this.#client_().leave(roomId);
      } catch (error) {
        throw mapMatrixError(error, `leave ${workspace}`);
      }
    });
    this.#workspaces.delete(workspace);
    this.#workspaceOf.delete(roomId);
    this.#ledger?.removeWorkspace(workspace);
  }

  joinedWorkspaces(): readonly string[] {
    return [...this.#workspaces.keys()];
  }

  members(workspace: string): readonly T.Member[] {
    const roomId = this.#workspaces.get(workspace);
    const room = roomId ? this.#client?.getRoom(roomId) : undefined;
    if (!room) return [];
    return room.getJoinedMembers().map((m) => {
      const user = this.#client?.getUser(m.userId);
      const availability =
        m.userId === this.#options.userId
          ? 'available'
          : user?.presence
            ? fromPresence(user.presence)
            : 'available';
      const status = user?.presenceStatusMsg;
      return { address: m.userId, account: m.userId, availability, ...(status ? { status } : {}) };
    });
  }

  async setPresence(
    availability: T.Availability,
    status?: string,
    options?: T.WaitOptions,
  ): Promise<void> {
    await withDeadline('setting presence', options, async (signal) => {
      await this.#online(signal);
      try {
        await this.#client_().setPresence({
          presence: TO_PRESENCE[availability],
          status_msg: status ?? (availability === 'busy' ? 'busy' : ''),
        });
      } catch (error) {
        throw mapMatrixError(error, 'set presence');
      }
    });
  }

  // ── history ─────────────────────────────────────────────────────────────────────────────

  async history(
    target: T.Target,
    query: T.HistoryQuery = {},
    options?: T.WaitOptions,
  ): Promise<T.HistoryPage> {
    this.#client_();
    assertHistoryQuery(query);
    const where: T.Target =
      target.kind === 'direct'
        ? { kind: 'direct', address: parseUserId(target.address) }
        : { kind: 'workspace', workspace: parseRoomReference(target.workspace) };
    const roomId =
      where.kind === 'direct'
        ? this.#direct.existing(where.address)
        : this.#joinedRoom(where.workspace);
    // No direct room yet: nothing was ever said.
    if (!roomId) return { messages: [], unreadable: 0 };
    const name = where.kind === 'direct' ? where.address : where.workspace;
    const ctx: HistoryContext = {
      client: () => this.#client_(),
      encrypted: (id) => this.#encrypted.has(id),
      online: (signal) => this.#online(signal),
      log: (level, message) => {
        this.#log(level, message);
      },
    };
    return withDeadline(`the history of ${name}`, options, (signal) =>
      readHistory(ctx, { roomId, name, target: where }, query, signal),
    );
  }

  // ── blobs and state ─────────────────────────────────────────────────────────────────────

  async putBlob(data: Uint8Array, meta?: T.BlobMeta, options?: T.WaitOptions): Promise<T.BlobRef> {
    this.#client_();
    return withDeadline('storing a blob', options, (signal) =>
      uploadBlob(this.#options, data, meta, signal),
    );
  }

  async getBlob(ref: T.BlobRef, options?: T.WaitOptions): Promise<Uint8Array> {
    this.#client_();
    return withDeadline(`fetching ${ref.uri}`, options, (signal) =>
      downloadBlob(this.#options, ref, signal),
    );
  }

  async putState(
    workspace: string,
    type: string,
    key: string,
    content: T.JsonObject,
    options?: T.WaitOptions,
  ): Promise<void> {
    assertStateType(type);
    const roomId = this.#joinedRoom(workspace);
    await withDeadline(`writing ${type} state in ${workspace}`, options, (signal) =>
      writeState(() => this.#client_(), roomId, workspace, type, key, content, {
        signal,
        online: (s) => this.#online(s),
      }),
    );
  }

  async getState(
    workspace: string,
    type: string,
    key: string,
    options?: T.WaitOptions,
  ): Promise<T.JsonObject | undefined> {
    assertStateType(type);
    const roomId = this.#joinedRoom(workspace);
    return withDeadline(`reading ${type} state in ${workspace}`, options, () =>
      readState(this.#client_(), roomId, workspace, type, key),
    );
  }

  async listState(
    workspace: string,
    type: string,
    options?: T.WaitOptions,
  ): Promise<readonly T.StateEntry[]> {
    assertStateType(type);
    const roomId = this.#joinedRoom(workspace);
    return withDeadline(`reading ${type} state in ${workspace}`, options, () =>
      listState(this.#client_(), roomId, workspace, type),
    );
  }
}
