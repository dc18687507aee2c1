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
import { OwnReactions } from './own-reactions.ts';
import {
  assertEditable,
  assertReactable,
  conversationOf,
  inboundText,
  sentBefore,
  type InboundBase,
} from './fake-chat.ts';
import type { FakeNetwork } from './fake-network.ts';
import { historyPage } from './fake-history.ts';
import { inviteInto, putStateIn, setRoleIn, type Room } from './fake-rooms.ts';
import { Listeners } from './listeners.ts';
import { assertValidOutbound } from './payload.ts';
import type * as T from './transport.ts';

const ADDRESS = /^fake:[a-z0-9_-]+$/;
const WORKSPACE = /^#[a-z0-9_.-]+$/;

export { FakeNetwork } from './fake-network.ts';

/** Knobs of a fake peer. */
export interface FakeTransportOptions {
  /** Milliseconds our agent request handler may take (default 5 minutes). */
  readonly agentDeadlineMs?: number;
}

/** One peer on a FakeNetwork. */
export class FakeTransport implements T.Transport {
  readonly network = 'fake';
  readonly membership = 'session';
  readonly address: string;
  #state: T.ConnectionState = 'offline';
  readonly #net: FakeNetwork;
  readonly #listeners = new Listeners();
  readonly #joined = new Set<string>();
  readonly #outbox: (() => void)[] = [];
  readonly #inbox: T.TransportEvent[] = [];
  readonly #agent: AgentRequests;
  readonly #reactions = new OwnReactions();

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

  get state(): T.ConnectionState {
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

  subscribe(listener: T.TransportListener): () => void {
    return this.#listeners.add(listener);
  }

  resolveTarget(input: string): Promise<T.Target> {
    if (WORKSPACE.test(input)) return Promise.resolve({ kind: 'workspace', workspace: input });
    if (ADDRESS.test(input)) return Promise.resolve({ kind: 'direct', address: input });
    return Promise.reject(
      new UsageError(
        `expected a fake address like fake:alice or a workspace like #room, got ${quote(input)}`,
      ),
    );
  }

  async send(
    target: T.Target,
    content: T.Outbound,
    options?: T.WaitOptions,
  ): Promise<T.SendReceipt> {
    assertValidOutbound(content);
    this.#assertCanPost(target);
    if (content.type === 'text' && content.replaces !== undefined)
      assertEditable(this.#log(target), this.address, content.replaces);
    const id = (content.type === 'text' ? content.id : undefined) ?? randomUUID();
    if (sentBefore(this.#log(target), this.address, id)) return { id };
    const base = this.#base(id, target);
    const event: T.InboundMessage =
      content.type === 'text'
        ? inboundText(base, content)
        : { ...base, type: 'payload', payload: structuredClone(content.payload) };
    // Sending ends composing (XEP-0085 §5.1: a message carries `<active/>`).
    this.#net.setTyping(this.address, target, false);
    await this.#post(target, event, options);
    return { id };
  }

  /**
   * @internal For tests: what a person's client sends and the interface does not: text with
   * files attached (XMPP OOB, Matrix media), or a structured answer to a confirm request (XMPP
   * `<confirmed>`).
   */
  async postAsClient(
    target: T.Target,
    what:
      | { readonly text: string; readonly attachments: readonly T.Attachment[] }
      | { readonly confirm: string; readonly decision: 'approve' | 'deny' },
    options?: T.WaitOptions,
  ): Promise<T.SendReceipt> {
    this.#assertCanPost(target);
    const base = this.#base(randomUUID(), target);
    const { id, from } = base;
    await this.#post(
      target,
      'text' in what
        ? inboundText(base, { type: 'text', text: what.text }, what.attachments)
        : { type: 'confirmation', from, target: base.target, ...what },
      options,
    );
    return { id };
  }

  setTyping(target: T.Target, typing: boolean): Promise<void> {
    return new Promise((resolve) => {
      this.#assertCanPost(target);
      this.#net.setTyping(this.address, target, typing);
      resolve();
    });
  }

  async react(
    target: T.Target,
    messageId: string,
    emoji: string,
    options?: T.WaitOptions,
  ): Promise<void> {
    this.#assertCanPost(target);
    assertReactable(this.#log(target), messageId, emoji);
    const { target: where, timestamp } = this.#base('', target);
    const event: T.ReactionEvent = {
      type: 'reaction',
      id: randomUUID(),
      from: this.address,
      target: where,
      reactsTo: messageId,
      emojis: this.#reactions.add(conversationOf(this.address, target), messageId, emoji),
      timestamp,
    };
    await this.#post(target, event, options);
  }

  /** Deliver now, or once the connection is back (within the caller's deadline). */
  async #post(target: T.Target, event: T.TransportEvent, options?: T.WaitOptions): Promise<void> {
    const deliver = (): void => {
      if (event.type === 'text' || event.type === 'payload')
        this.#net.record(conversationOf(this.address, target), structuredClone(event));
      this.#net.route(this.address, target, event);
    };
    if (this.#state === 'online') {
      deliver();
      return;
    }
    await withDeadline('the connection to come back', options, () => {
      const { promise, resolve } = Promise.withResolvers<undefined>();
      this.#outbox.push(() => {
        deliver();
        resolve(undefined);
      });
      return promise;
    });
  }

  /** What a message to `target` carries besides its content, as its receivers see it. */
  #base(id: string, target: T.Target): InboundBase {
    const where: T.Target =
      target.kind === 'direct' ? { kind: 'direct', address: this.address } : target;
    return { id, from: this.address, target: where, timestamp: Date.now(), delayed: false };
  }

  #log(target: T.Target): readonly T.InboundMessage[] {
    return this.#net.log(conversationOf(this.address, target));
  }

  #assertCanPost(target: T.Target): void {
    this.#assertOpen();
    if (target.kind === 'workspace' && !this.#joined.has(target.workspace))
      throw new UsageError(`not joined to workspace ${quote(target.workspace)}: join it first`);
  }

  joinWorkspace(workspace: string): Promise<T.WorkspaceInfo> {
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

  members(workspace: string): readonly T.Member[] {
    return [...(this.#net.room(workspace)?.members.values() ?? [])];
  }

  setPresence(availability: T.Availability, status?: string): Promise<void> {
    for (const workspace of this.#joined) this.#announce(workspace, availability, status);
    return Promise.resolve();
  }

  putBlob(data: Uint8Array, meta: T.BlobMeta = {}): Promise<T.BlobRef> {
    return Promise.resolve(this.#net.putBlob(data, meta));
  }

  getBlob(ref: T.BlobRef): Promise<Uint8Array> {
    return new Promise((resolve) => {
      resolve(this.#net.getBlob(ref));
    });
  }

  putState(workspace: string, type: string, key: string, content: T.JsonObject): Promise<void> {
    const room = this.#joinedRoom(workspace);
    return new Promise((resolve) => {
      putStateIn(room, workspace, { type, key, content, sender: this.address });
      resolve();
    });
  }

  getState(workspace: string, type: string, key: string): Promise<T.JsonObject | undefined> {
    const entry = this.#joinedRoom(workspace).state.get(`${type}\u0000${key}`);
    return Promise.resolve(entry && structuredClone(entry.content));
  }

  listState(workspace: string, type: string): Promise<readonly T.StateEntry[]> {
    const entries = [...this.#joinedRoom(workspace).state.values()].filter((e) => e.type === type);
    return Promise.resolve(structuredClone(entries));
  }

  history(target: T.Target, query: T.HistoryQuery = {}): Promise<T.HistoryPage> {
    this.#assertOpen();
    if (target.kind === 'workspace') this.#joinedRoom(target.workspace);
    // A bad cursor rejects, as the real transports do.
    return new Promise((resolve) => {
      resolve(historyPage(this.#log(target), target, query));
    });
  }

  createWorkspace(workspace: string, settings: T.WorkspaceSettings = {}): Promise<T.WorkspaceInfo> {
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
    inviteInto(room, this.address, account);
    return Promise.resolve();
  }

  setRole(workspace: string, account: string, role: 'publisher' | 'member'): Promise<void> {
    const room = this.#joinedRoom(workspace);
    return new Promise((resolve) => {
      setRoleIn(room, workspace, this.address, account, role);
      resolve();
    });
  }

  roles(workspace: string): Promise<readonly T.RoleEntry[]> {
    const room = this.#joinedRoom(workspace);
    return Promise.resolve([...room.roles].map(([account, role]) => ({ account, role })));
  }

  advertise(advertisement: T.Advertisement): Promise<void> {
    this.#assertOpen();
    this.#net.advertise(this.address, advertisement);
    return Promise.resolve();
  }

  searchDirectory(query: T.DirectoryQuery = {}): Promise<readonly T.DirectoryEntry[]> {
    this.#assertOpen();
    return Promise.resolve(this.#net.directory(query));
  }

  answerAgentRequests(handler: T.AgentRequestHandler | undefined): void {
    this.#agent.answer(handler);
  }

  async askAgent(to: string, request: AgentAsk, options?: T.WaitOptions): Promise<T.AgentResponse> {
    this.#assertOpen();
    if (!ADDRESS.test(to))
      throw new UsageError(`expected a fake address like fake:alice, got ${quote(to)}`);
    return this.#agent.ask(to, request, options);
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
    for (const event of this.#inbox.splice(0)) this.#emit(event);
  }

  /** @internal */ deliver(event: T.TransportEvent): void {
    if (this.#state === 'reconnecting') this.#inbox.push(event);
    else this.#emit(event);
  }

  /** Agent requests and answers are the transport's; everything else goes to listeners. */
  #emit(event: T.TransportEvent): void {
    if (!this.#agent.take(event)) this.#listeners.emit(event);
  }

  #announce(workspace: string, availability: T.Availability, status?: string): void {
    const member = { address: this.address, availability, ...(status ? { status } : {}) };
    this.#net.room(workspace)?.members.set(this.address, member);
    const event: T.TransportEvent = { type: 'presence', from: this.address, workspace, ...member };
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

  #setState(state: T.ConnectionState): void {
    this.#state = state;
    this.#listeners.emit({ type: 'connection', state });
  }
}
