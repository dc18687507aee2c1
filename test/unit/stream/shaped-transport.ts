/**
 * A real Transport for the stream unit tests: it forwards to a FakeTransport and lets a test
 * shape what passes through — slow, stalled or failing sends and uploads, repeated sends, live
 * deliveries that never arrive or arrive in one batch, history that lost some messages, and
 * another network's identity rules. Tests pass it where a transport is expected; nothing is
 * mocked at module level.
 */
import type { FakeTransport } from '../../../src/transport/fake.ts';
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
  Network,
  Outbound,
  Payload,
  RoleEntry,
  SendReceipt,
  StateEntry,
  Target,
  Transport,
  TransportEvent,
  TransportListener,
  WaitOptions,
  WorkspaceInfo,
  WorkspaceRole,
  WorkspaceSettings,
} from '../../../src/transport/transport.ts';

/** Which network's rules the wrapper claims, and the room it shows. */
export interface Shape {
  readonly network?: Network;
  /** Members of a workspace as the room reveals them (XMPP: nick address → real JID). */
  readonly members?: (workspace: string) => readonly Member[];
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** A FakeTransport with knobs. */
export class ShapedTransport implements Transport {
  readonly network: Network;
  readonly membership: 'session' | 'durable';
  /** Milliseconds every send waits before it reaches the network. */
  sendDelayMs = 0;
  /** Milliseconds every upload waits. */
  putBlobDelayMs = 0;
  /** When true, sends never complete (a link that went silent). */
  stallSends = false;
  /** Called once per send attempt: an error it returns fails that attempt (after the delay). */
  sendFault: (payload: Payload) => Error | undefined = () => undefined;
  /** Called once per upload attempt, like `sendFault`. */
  putBlobFault: () => Error | undefined = () => undefined;
  /** Payloads for which this is true go out twice (a retry whose first try did arrive). */
  repeat: (payload: Payload) => boolean = () => false;
  /** Live messages for which this is true never reach our listeners. */
  dropLive: (message: InboundMessage) => boolean = () => false;
  /** When true, live traffic is held and handed over in one synchronous batch per macrotask. */
  batchLive = false;
  /** History leaves out the messages for which this is true. */
  hideFromHistory: (message: InboundMessage) => boolean = () => false;
  /** Report messages hidden from history as unreadable, as Matrix does without their key. */
  undecryptableInHistory = false;
  /** Every payload that reached the network, in the order it did. */
  readonly sent: Payload[] = [];
  sendAttempts = 0;
  putBlobAttempts = 0;
  /** Seen through the interface: the fake's own methods take fewer arguments. */
  readonly #inner: Transport;
  readonly #members: ((workspace: string) => readonly Member[]) | undefined;

  constructor(inner: FakeTransport, shape: Shape = {}) {
    this.#inner = inner;
    this.network = shape.network ?? inner.network;
    this.membership = inner.membership;
    this.#members = shape.members;
  }

  get address(): string {
    return this.#inner.address;
  }

  get state(): ConnectionState {
    return this.#inner.state;
  }

  connect(options?: WaitOptions): Promise<void> {
    return this.#inner.connect(options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  subscribe(listener: TransportListener): () => void {
    const held: TransportEvent[] = [];
    const flush = (): void => {
      for (const event of held.splice(0)) listener(event);
    };
    return this.#inner.subscribe((event) => {
      if ((event.type === 'payload' || event.type === 'text') && this.dropLive(event)) return;
      if (!this.batchLive) {
        listener(event);
        return;
      }
      if (held.push(event) === 1) setTimeout(flush, 1);
    });
  }

  resolveTarget(input: string, options?: WaitOptions): Promise<Target> {
    return this.#inner.resolveTarget(input, options);
  }

  async send(target: Target, content: Outbound, options?: WaitOptions): Promise<SendReceipt> {
    this.sendAttempts += 1;
    const fault = content.type === 'payload' ? this.sendFault(content.payload) : undefined;
    if (this.stallSends) await new Promise<never>(() => undefined);
    if (this.sendDelayMs > 0) await sleep(this.sendDelayMs);
    if (fault) throw fault;
    const receipt = await this.#inner.send(target, content, options);
    if (content.type === 'payload') {
      this.sent.push(content.payload);
      if (this.repeat(content.payload)) {
        await this.#inner.send(target, content, options);
        this.sent.push(content.payload);
      }
    }
    return receipt;
  }

  joinWorkspace(workspace: string, options?: WaitOptions): Promise<WorkspaceInfo> {
    return this.#inner.joinWorkspace(workspace, options);
  }

  leaveWorkspace(workspace: string, options?: WaitOptions): Promise<void> {
    return this.#inner.leaveWorkspace(workspace, options);
  }

  joinedWorkspaces(): readonly string[] {
    return this.#inner.joinedWorkspaces();
  }

  members(workspace: string): readonly Member[] {
    return this.#members ? this.#members(workspace) : this.#inner.members(workspace);
  }

  setPresence(availability: Availability, status?: string): Promise<void> {
    return this.#inner.setPresence(availability, status);
  }

  async putBlob(data: Uint8Array, meta?: BlobMeta, options?: WaitOptions): Promise<BlobRef> {
    this.putBlobAttempts += 1;
    const fault = this.putBlobFault();
    if (this.putBlobDelayMs > 0) await sleep(this.putBlobDelayMs);
    if (fault) throw fault;
    return this.#inner.putBlob(data, meta, options);
  }

  getBlob(ref: BlobRef, options?: WaitOptions): Promise<Uint8Array> {
    return this.#inner.getBlob(ref, options);
  }

  putState(
    workspace: string,
    type: string,
    key: string,
    content: JsonObject,
    options?: WaitOptions,
  ): Promise<void> {
    return this.#inner.putState(workspace, type, key, content, options);
  }

  getState(
    workspace: string,
    type: string,
    key: string,
    options?: WaitOptions,
  ): Promise<JsonObject | undefined> {
    return this.#inner.getState(workspace, type, key, options);
  }

  listState(
    workspace: string,
    type: string,
    options?: WaitOptions,
  ): Promise<readonly StateEntry[]> {
    return this.#inner.listState(workspace, type, options);
  }

  async history(target: Target, query?: HistoryQuery, options?: WaitOptions): Promise<HistoryPage> {
    const page = await this.#inner.history(target, query, options);
    const messages = page.messages.filter((m) => !this.hideFromHistory(m));
    const unreadable = this.undecryptableInHistory
      ? page.messages.length - messages.length
      : page.unreadable;
    return { ...page, messages, unreadable };
  }

  createWorkspace(
    workspace: string,
    settings?: WorkspaceSettings,
    options?: WaitOptions,
  ): Promise<WorkspaceInfo> {
    return this.#inner.createWorkspace(workspace, settings, options);
  }

  invite(workspace: string, account: string, options?: WaitOptions): Promise<void> {
    return this.#inner.invite(workspace, account, options);
  }

  setRole(
    workspace: string,
    account: string,
    role: Exclude<WorkspaceRole, 'owner'>,
    options?: WaitOptions,
  ): Promise<void> {
    return this.#inner.setRole(workspace, account, role, options);
  }

  roles(workspace: string, options?: WaitOptions): Promise<readonly RoleEntry[]> {
    return this.#inner.roles(workspace, options);
  }

  advertise(advertisement: Advertisement, options?: WaitOptions): Promise<void> {
    return this.#inner.advertise(advertisement, options);
  }

  searchDirectory(
    query?: DirectoryQuery,
    options?: WaitOptions,
  ): Promise<readonly DirectoryEntry[]> {
    return this.#inner.searchDirectory(query, options);
  }

  answerAgentRequests(handler: AgentRequestHandler | undefined): void {
    this.#inner.answerAgentRequests(handler);
  }

  askAgent(
    to: string,
    request: Parameters<Transport['askAgent']>[1],
    options?: WaitOptions,
  ): Promise<AgentResponse> {
    return this.#inner.askAgent(to, request, options);
  }

  setTyping(target: Target, typing: boolean, options?: WaitOptions): Promise<void> {
    return this.#inner.setTyping(target, typing, options);
  }

  react(target: Target, messageId: string, emoji: string, options?: WaitOptions): Promise<void> {
    return this.#inner.react(target, messageId, emoji, options);
  }
}
