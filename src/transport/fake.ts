/**
 * In-memory transport for unit tests. It keeps the promises of the real ones (checked by the
 * shared contract suite): no own echoes, no history replay on join, sends queued while offline
 * and delivered after reconnect, blobs verified by sha256, state per (workspace, type, key).
 * The shared "server" is fake-network.ts.
 */
import { randomUUID } from 'node:crypto';
import { NetworkError, RefusedError, UsageError, quote } from '../errors.ts';
import { agentRequestsOver, type AgentRequests } from './agent-requests.ts';
import type { AgentAsk } from './agent-shapes.ts';
import { withDeadline } from './deadline.ts';
import type { FakeNetwork } from './fake-network.ts';
import { AGENT_STATE, type Room } from './fake-rooms.ts';
import { Listeners } from './listeners.ts';
import { assertValidOutbound, sha256Hex } from './payload.ts';
import type {
  Advertisement,
  AgentRequestHandler,
  AgentResponse,
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

export { FakeNetwork } from './fake-network.ts';

/** Knobs of a fake peer. */
export interface FakeTransportOptions {
  /** Milliseconds our agent request handler may take (default 5 minutes). */
  readonly agentDeadlineMs?: number;
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
  readonly #agent: AgentRequests;

  constructor(net: FakeNetwork, address: string, options: FakeTransportOptions = {}) {
    this.#net = net;
    this.address = address;
    this.#agent = agentRequestsOver(
      this,
      (event) => {
        this.#listeners.emit(event);
      },
      options,
    );
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
    this.#agent.close();
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

  answerAgentRequests(handler: AgentRequestHandler | undefined): void {
    this.#agent.answer(handler);
  }

  async askAgent(to: string, request: AgentAsk, options?: WaitOptions): Promise<AgentResponse> {
    this.#assertOpen();
    if (!ADDRESS.test(to))
      throw new UsageError(`expected a fake address like fake:alice, got ${quote(to)}`);
    return this.#agent.ask(to, request, options);
  }

  // t-chat implements these
  setTyping(): Promise<void> {
    throw new Error('not on this branch');
  }
  react(): Promise<void> {
    throw new Error('not on this branch');
  }
  // end of t-chat's

  /** @internal Simulate losing the connection. */
  drop(): void {
    if (this.#state === 'online') this.#setState('reconnecting');
  }

  /** @internal Simulate the connection coming back: flush what was queued. */
  restore(): void {
    if (this.#state !== 'reconnecting') return;
    this.#setState('online');
    for (const flush of this.#outbox.splice(0)) flush();
    for (const event of this.#inbox.splice(0)) this.#emit(event);
  }

  /** @internal */ deliver(event: TransportEvent): void {
    if (this.#state === 'reconnecting') this.#inbox.push(event);
    else this.#emit(event);
  }

  /** Agent requests and answers are the transport's; everything else goes to listeners. */
  #emit(event: TransportEvent): void {
    if (!this.#agent.take(event)) this.#listeners.emit(event);
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
