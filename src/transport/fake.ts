/**
 * In-memory transport for unit tests. It keeps the promises of the real ones (checked by the
 * shared contract suite): no own echoes, no history replay on join, sends queued while offline
 * and delivered after reconnect, blobs verified by sha256, state per (workspace, type, key).
 */
import { randomUUID } from 'node:crypto';
import { NetworkError, RefusedError, UsageError, quote } from '../errors.ts';
import { withDeadline } from './deadline.ts';
import { AGENT_STATE, directoryOf, newRoom, type Room } from './fake-rooms.ts';
import { Listeners } from './listeners.ts';
import { assertValidOutbound, sha256Hex } from './payload.ts';
import type {
  Advertisement,
  Availability,
  BlobMeta,
  BlobRef,
  ConnectionState,
  DirectoryEntry,
  DirectoryQuery,
  HistoryPage,
  HistoryQuery,
  InboundMessage,
  JsonObject,
  Member,
  Outbound,
  RoleEntry,
  SendReceipt,
  StateEntry,
  Target,
  Transport,
  TransportEvent,
  TransportListener,
  WaitOptions,
  WorkspaceInfo,
  WorkspaceSettings,
} from './transport.ts';

const ADDRESS = /^fake:[a-z0-9_-]+$/;

/** The log a message belongs to: its workspace, or the pair of peers in a direct conversation. */
function conversationOf(self: string, target: Target): string {
  if (target.kind === 'workspace') return `w:${target.workspace}`;
  return `d:${[self, target.address].sort().join(' ')}`;
}
const WORKSPACE = /^#[a-z0-9_.-]+$/;

/** The shared "server" fake transports connect to. */
export class FakeNetwork {
  readonly #peers = new Map<string, FakeTransport>();
  readonly #rooms = new Map<string, Room>();
  readonly #blobs = new Map<string, Uint8Array>();
  readonly #mailboxes = new Map<string, TransportEvent[]>();
  /** Every message ever sent, per conversation (a workspace, or a sorted pair of addresses). */
  readonly #logs = new Map<string, InboundMessage[]>();
  readonly #adverts = new Map<string, Advertisement>();

  /** A new transport for `name` (address `fake:name`). */
  transport(name: string): FakeTransport {
    return new FakeTransport(this, `fake:${name}`);
  }

  /** Simulate an outage: every peer drops and comes back after `ms`. */
  async interrupt(ms = 50): Promise<void> {
    const peers = [...this.#peers.values()];
    for (const peer of peers) peer.drop();
    await new Promise((resolve) => setTimeout(resolve, ms));
    for (const peer of peers) peer.restore();
  }

  /** @internal */ attach(peer: FakeTransport): void {
    this.#peers.set(peer.address, peer);
    const waiting = this.#mailboxes.get(peer.address) ?? [];
    this.#mailboxes.delete(peer.address);
    for (const event of waiting) peer.deliver(event);
  }

  /** @internal */ detach(peer: FakeTransport): void {
    this.#peers.delete(peer.address);
  }

  /** @internal */ room(workspace: string): Room | undefined {
    return this.#rooms.get(workspace);
  }

  /** @internal */ openRoom(
    workspace: string,
    creator: string,
    settings?: WorkspaceSettings,
  ): { room: Room; created: boolean } {
    const existing = this.#rooms.get(workspace);
    if (existing) return { room: existing, created: false };
    const room = newRoom(creator, settings);
    this.#rooms.set(workspace, room);
    return { room, created: true };
  }

  /** @internal */ advertise(address: string, advertisement: Advertisement): void {
    this.#adverts.set(address, structuredClone(advertisement));
  }

  /** @internal What a directory search of this network finds. */
  directory(query: DirectoryQuery): DirectoryEntry[] {
    return directoryOf(this.#rooms, this.#adverts, query);
  }

  /** @internal */ record(conversation: string, message: InboundMessage): void {
    const log = this.#logs.get(conversation) ?? [];
    log.push(message);
    this.#logs.set(conversation, log);
  }

  /** @internal */ log(conversation: string): readonly InboundMessage[] {
    return this.#logs.get(conversation) ?? [];
  }

  /** @internal */ route(from: string, target: Target, event: TransportEvent): void {
    if (target.kind === 'direct') {
      this.#deliverTo(target.address, event);
      return;
    }
    for (const member of this.#rooms.get(target.workspace)?.members.keys() ?? []) {
      if (member !== from) this.#deliverTo(member, event);
    }
  }

  /** @internal */ putBlob(sha256: string, data: Uint8Array): void {
    this.#blobs.set(sha256, data);
  }

  /** @internal */ getBlob(sha256: string): Uint8Array | undefined {
    return this.#blobs.get(sha256);
  }

  #deliverTo(address: string, event: TransportEvent): void {
    const peer = this.#peers.get(address);
    if (peer) {
      peer.deliver(event);
      return;
    }
    // Like an offline store: direct messages wait for the peer; workspace traffic is missed.
    if (event.type !== 'presence') {
      const box = this.#mailboxes.get(address) ?? [];
      box.push(
        event.type === 'text' || event.type === 'payload' ? { ...event, delayed: true } : event,
      );
      this.#mailboxes.set(address, box);
    }
  }
}

/** One peer on a FakeNetwork. */
export class FakeTransport implements Transport {
  readonly network = 'fake';
  readonly membership = 'session';
  readonly address: string;
  #state: ConnectionState = 'offline';
  readonly #net: FakeNetwork;
  readonly #listeners = new Listeners();
  readonly #joined = new Set<string>();
  readonly #outbox: (() => void)[] = [];
  readonly #inbox: TransportEvent[] = [];

  constructor(net: FakeNetwork, address: string) {
    this.#net = net;
    this.address = address;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  connect(): Promise<void> {
    this.#setState('online');
    this.#net.attach(this);
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    for (const workspace of [...this.#joined]) await this.leaveWorkspace(workspace);
    this.#net.detach(this);
    this.#setState('closed');
  }

  subscribe(listener: TransportListener): () => void {
    return this.#listeners.add(listener);
  }

  resolveTarget(input: string): Promise<Target> {
    if (WORKSPACE.test(input)) return Promise.resolve({ kind: 'workspace', workspace: input });
    if (ADDRESS.test(input)) return Promise.resolve({ kind: 'direct', address: input });
    return Promise.reject(
      new UsageError(
        `expected a fake address like fake:alice or a workspace like #room, got ${quote(input)}`,
      ),
    );
  }

  async send(target: Target, content: Outbound, options?: WaitOptions): Promise<SendReceipt> {
    assertValidOutbound(content);
    this.#assertOpen();
    if (target.kind === 'workspace' && !this.#joined.has(target.workspace)) {
      throw new UsageError(`not joined to workspace ${quote(target.workspace)}: join it first`);
    }
    const id = randomUUID();
    const where: Target =
      target.kind === 'direct' ? { kind: 'direct', address: this.address } : target;
    const base = { id, from: this.address, target: where, timestamp: Date.now(), delayed: false };
    const event: InboundMessage =
      content.type === 'text'
        ? { ...base, type: 'text', text: content.text }
        : { ...base, type: 'payload', payload: structuredClone(content.payload) };
    const deliver = (): void => {
      this.#net.record(conversationOf(this.address, target), structuredClone(event));
      this.#net.route(this.address, target, event);
    };
    if (this.#state === 'online') {
      deliver();
      return { id };
    }
    return withDeadline('the connection to come back', options, () => {
      const { promise, resolve } = Promise.withResolvers<SendReceipt>();
      this.#outbox.push(() => {
        deliver();
        resolve({ id });
      });
      return promise;
    });
  }

  joinWorkspace(workspace: string): Promise<WorkspaceInfo> {
    this.#assertOpen();
    if (!WORKSPACE.test(workspace)) {
      return Promise.reject(
        new UsageError(`expected a workspace like #room, got ${quote(workspace)}`),
      );
    }
    const { room, created } = this.#net.openRoom(workspace, this.address);
    if (room.private && !room.roles.has(this.address)) {
      return Promise.reject(
        new RefusedError(`could not join ${workspace}: it is private and we are not invited`, {
          detail: { condition: 'forbidden' },
        }),
      );
    }
    if (!room.roles.has(this.address)) room.roles.set(this.address, 'member');
    room.members.set(this.address, { address: this.address, availability: 'available' });
    this.#joined.add(workspace);
    this.#announce(workspace, 'available');
    return Promise.resolve({
      workspace,
      self: this.address,
      created,
      members: [...room.members.values()],
    });
  }

  leaveWorkspace(workspace: string): Promise<void> {
    if (!this.#joined.delete(workspace)) return Promise.resolve();
    this.#announce(workspace, 'offline');
    this.#net.room(workspace)?.members.delete(this.address);
    return Promise.resolve();
  }

  joinedWorkspaces(): readonly string[] {
    return [...this.#joined];
  }

  members(workspace: string): readonly Member[] {
    return [...(this.#net.room(workspace)?.members.values() ?? [])];
  }

  setPresence(availability: Availability, status?: string): Promise<void> {
    for (const workspace of this.#joined) this.#announce(workspace, availability, status);
    return Promise.resolve();
  }

  putBlob(data: Uint8Array, meta: BlobMeta = {}): Promise<BlobRef> {
    const sha256 = sha256Hex(data);
    this.#net.putBlob(sha256, Uint8Array.from(data));
    return Promise.resolve({ uri: `fake-blob:${sha256}`, size: data.byteLength, sha256, ...meta });
  }

  getBlob(ref: BlobRef): Promise<Uint8Array> {
    const data = this.#net.getBlob(ref.uri.replace(/^fake-blob:/, ''));
    if (!data) return Promise.reject(new NetworkError(`blob ${quote(ref.uri)} not found`));
    if (data.byteLength !== ref.size || sha256Hex(data) !== ref.sha256) {
      return Promise.reject(new NetworkError(`blob ${quote(ref.uri)} failed its integrity check`));
    }
    return Promise.resolve(Uint8Array.from(data));
  }

  putState(workspace: string, type: string, key: string, content: JsonObject): Promise<void> {
    const room = this.#joinedRoom(workspace);
    if (AGENT_STATE.has(type) && room.roles.get(this.address) === 'member') {
      return Promise.reject(
        new RefusedError(`may not publish ${type} in ${workspace}: not a publisher there`),
      );
    }
    room.state.set(`${type}\u0000${key}`, {
      type,
      key,
      content: structuredClone(content),
      sender: this.address,
    });
    return Promise.resolve();
  }

  getState(workspace: string, type: string, key: string): Promise<JsonObject | undefined> {
    const entry = this.#joinedRoom(workspace).state.get(`${type}\u0000${key}`);
    return Promise.resolve(entry && structuredClone(entry.content));
  }

  listState(workspace: string, type: string): Promise<readonly StateEntry[]> {
    const entries = [...this.#joinedRoom(workspace).state.values()].filter((e) => e.type === type);
    return Promise.resolve(structuredClone(entries));
  }

  history(target: Target, query: HistoryQuery = {}): Promise<HistoryPage> {
    this.#assertOpen();
    if (target.kind === 'workspace') this.#joinedRoom(target.workspace);
    const log = this.#net.log(conversationOf(this.address, target));
    const end = query.before === undefined ? log.length : Number(query.before);
    if (!Number.isSafeInteger(end) || end < 0 || end > log.length) {
      return Promise.reject(new UsageError(`unknown history cursor ${quote(query.before ?? '')}`));
    }
    const start = Math.max(0, end - (query.limit ?? 100));
    const messages = log
      .slice(start, end)
      .reverse()
      .map((m): InboundMessage => {
        // Seen from this peer, a direct conversation is named by the other side: `target`.
        return { ...structuredClone(m), target, delayed: true };
      });
    return Promise.resolve({
      messages,
      ...(start > 0 ? { next: String(start) } : {}),
      unreadable: 0,
    });
  }

  createWorkspace(workspace: string, settings: WorkspaceSettings = {}): Promise<WorkspaceInfo> {
    this.#assertOpen();
    if (this.#net.room(workspace)) {
      return Promise.reject(
        new RefusedError(`workspace ${workspace} exists already`, {
          detail: { condition: 'exists' },
        }),
      );
    }
    this.#net.openRoom(workspace, this.address, settings);
    return this.joinWorkspace(workspace).then((info) => ({ ...info, created: true }));
  }

  invite(workspace: string, account: string): Promise<void> {
    const room = this.#joinedRoom(workspace);
    if (!ADDRESS.test(account)) {
      return Promise.reject(
        new UsageError(`expected a fake address like fake:alice, got ${quote(account)}`),
      );
    }
    const byOwner = room.roles.get(this.address) === 'owner';
    const current = room.roles.get(account);
    if (current === undefined || (byOwner && current === 'member'))
      room.roles.set(account, byOwner ? 'publisher' : 'member');
    return Promise.resolve();
  }

  setRole(workspace: string, account: string, role: 'publisher' | 'member'): Promise<void> {
    const room = this.#joinedRoom(workspace);
    if (room.roles.get(this.address) !== 'owner') {
      return Promise.reject(new RefusedError(`only the owner of ${workspace} may set roles`));
    }
    if (room.roles.get(account) === 'owner') {
      return Promise.reject(new RefusedError(`${account} owns ${workspace}; its role stays`));
    }
    room.roles.set(account, role);
    return Promise.resolve();
  }

  roles(workspace: string): Promise<readonly RoleEntry[]> {
    const room = this.#joinedRoom(workspace);
    return Promise.resolve([...room.roles].map(([account, role]) => ({ account, role })));
  }

  advertise(advertisement: Advertisement): Promise<void> {
    this.#assertOpen();
    this.#net.advertise(this.address, advertisement);
    return Promise.resolve();
  }

  searchDirectory(query: DirectoryQuery = {}): Promise<readonly DirectoryEntry[]> {
    this.#assertOpen();
    return Promise.resolve(this.#net.directory(query));
  }

  /** @internal Simulate losing the connection. */
  drop(): void {
    if (this.#state === 'online') this.#setState('reconnecting');
  }

  /** @internal Simulate the connection coming back: flush what was queued. */
  restore(): void {
    if (this.#state !== 'reconnecting') return;
    this.#setState('online');
    for (const flush of this.#outbox.splice(0)) flush();
    for (const event of this.#inbox.splice(0)) this.#listeners.emit(event);
  }

  /** @internal */ deliver(event: TransportEvent): void {
    if (this.#state === 'reconnecting') this.#inbox.push(event);
    else this.#listeners.emit(event);
  }

  #announce(workspace: string, availability: Availability, status?: string): void {
    const member = { address: this.address, availability, ...(status ? { status } : {}) };
    this.#net.room(workspace)?.members.set(this.address, member);
    const event: TransportEvent = { type: 'presence', from: this.address, workspace, ...member };
    this.#net.route(this.address, { kind: 'workspace', workspace }, event);
  }

  #joinedRoom(workspace: string): Room {
    const room = this.#joined.has(workspace) ? this.#net.room(workspace) : undefined;
    if (!room) throw new UsageError(`not joined to workspace ${quote(workspace)}: join it first`);
    return room;
  }

  #assertOpen(): void {
    if (this.#state === 'closed' || this.#state === 'offline') {
      throw new NetworkError(`the ${this.network} transport is ${this.#state}: connect first`);
    }
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#listeners.emit({ type: 'connection', state });
  }
}
