/**
 * A Transport that is a client of the profile's session host: every call goes over the socket
 * and the host's connection does the work. It mirrors the host's address and connection state,
 * keeps its own workspace leases (so `joinedWorkspaces()` and `members()` answer at once, as
 * the interface wants), and delivers events to subscribers as a local transport would.
 * `close()` ends only this client's link; the host and its connection stay up for others.
 */
import type { Socket } from 'node:net';
import {
  InternalError,
  NetworkError,
  RefusedError,
  UsageError,
  describeValue,
  quote,
} from '../errors.ts';
import { defaultAskMs } from '../transport/agent-requests.ts';
import type { AgentAsk } from '../transport/agent-shapes.ts';
import { Listeners } from '../transport/listeners.ts';
import type * as T from '../transport/transport.ts';
import { PendingCalls } from './client-calls.ts';
import { LineReader } from './lines.ts';
import {
  MAX_LINE_BYTES,
  PROTOCOL_VERSION,
  STOPPING_CONDITION,
  encodeLine,
  fromWireError,
  fromWireEvent,
  isHistoryPage,
  parseHostMessage,
  type HostMessage,
  type Method,
} from './protocol.ts';
import {
  isAgentResponse,
  isBlobRef,
  isConnectionState,
  isDirectoryEntry,
  isObject,
  isRoleEntry,
  isStateEntry,
  isTarget,
  isWorkspaceInfo,
} from './shapes.ts';
import { HostUnavailableError, endSocket, openSocket } from './socket.ts';

export { HostUnavailableError } from './socket.ts';

/** Where the host is and which profile it serves. */
export interface RemoteTransportOptions {
  readonly socketPath: string;
  readonly profile: string;
  /** The profile's network, until the host says. */
  readonly network: T.Network;
}

/**
 * How long `connect` waits for a host that is still connecting to its server: longer than any
 * transport's first connection (Matrix: 30 s).
 */
const HELLO_TIMEOUT_MS = 60_000;

/** A Transport served by the profile's session host. */
export class RemoteTransport implements T.Transport {
  readonly #options: RemoteTransportOptions;
  readonly #listeners = new Listeners();
  readonly #calls = new PendingCalls((request) => {
    if (this.#socket?.writable === true) this.#socket.write(encodeLine(request));
  });
  /** Joined workspaces (our leases) and their members as last pushed. */
  readonly #workspaces = new Map<string, readonly T.Member[]>();
  #network: T.Network;
  #address = '';
  #state: T.ConnectionState = 'offline';
  #socket: Socket | undefined;
  #greeted = false;
  #listenerCount = 0;
  #subscribed = false;
  #bye: string | undefined;

  constructor(options: RemoteTransportOptions) {
    this.#options = options;
    this.#network = options.network;
  }

  get network(): T.Network {
    return this.#network;
  }

  /** Matrix rooms are the account's; MUC presence is the connection's (see transport.ts). */
  get membership(): 'session' | 'durable' {
    return this.#network === 'matrix' ? 'durable' : 'session';
  }

  get address(): string {
    return this.#address;
  }

  get state(): T.ConnectionState {
    return this.#state;
  }

  /** Connect to the host; waits while the host is still connecting to its server. */
  async connect(options?: T.WaitOptions): Promise<void> {
    if (this.#state === 'closed')
      throw new NetworkError('this session link was closed; open a new one');
    if (this.#socket) return;
    const socket = await openSocket(this.#options.socketPath, {
      ...(options?.signal ? { signal: options.signal } : {}),
    });
    this.#attach(socket);
    let hello: unknown;
    try {
      hello = await this.#call(
        'hello',
        { version: PROTOCOL_VERSION, pid: process.pid },
        { ...options, timeoutMs: options?.timeoutMs ?? HELLO_TIMEOUT_MS },
      );
    } catch (error) {
      this.#socket = undefined;
      socket.destroy();
      if (error instanceof NetworkError && error.detail.condition === STOPPING_CONDITION)
        throw new HostUnavailableError(error.message);
      throw error;
    }
    if (!isObject(hello) || typeof hello.address !== 'string' || !isConnectionState(hello.state))
      throw this.#badAnswer('hello', hello, 'address and state');
    if (hello.network === 'xmpp' || hello.network === 'matrix' || hello.network === 'fake')
      this.#network = hello.network;
    this.#address = hello.address;
    this.#state = hello.state;
    this.#greeted = true;
    if (this.#listenerCount > 0) this.#setSubscribed(true);
    this.#listeners.emit({ type: 'connection', state: this.#state });
  }

  /** End this client's link (the host stays up). Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const socket = this.#socket;
    this.#socket = undefined;
    this.#state = 'closed';
    this.#workspaces.clear();
    this.#calls.failAll(new NetworkError('the session link was closed before the host answered'));
    if (socket) await endSocket(socket);
    this.#listeners.emit({ type: 'connection', state: 'closed' });
  }

  subscribe(listener: T.TransportListener): () => void {
    const remove = this.#listeners.add(listener);
    this.#listenerCount += 1;
    if (this.#listenerCount === 1 && this.#greeted) this.#setSubscribed(true);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      remove();
      this.#listenerCount -= 1;
      if (this.#listenerCount === 0 && this.#greeted) this.#setSubscribed(false);
    };
  }

  async resolveTarget(input: string, options?: T.WaitOptions): Promise<T.Target> {
    const result = await this.#call('resolveTarget', { input }, options);
    if (!isTarget(result)) throw this.#badAnswer('resolveTarget', result, 'a target');
    return result;
  }

  async send(target: T.Target, content: T.Outbound, options?: T.WaitOptions) {
    const result = await this.#call('send', { target, content }, options);
    if (!isObject(result) || typeof result.id !== 'string')
      throw this.#badAnswer('send', result, 'a receipt with an id');
    return { id: result.id };
  }

  async joinWorkspace(workspace: string, options?: T.WaitOptions): Promise<T.WorkspaceInfo> {
    const info = await this.#call('joinWorkspace', { workspace }, options);
    if (!isWorkspaceInfo(info)) throw this.#badAnswer('joinWorkspace', info, 'workspace info');
    this.#workspaces.set(workspace, info.members);
    return info;
  }

  async leaveWorkspace(workspace: string, options?: T.WaitOptions): Promise<void> {
    this.#workspaces.delete(workspace);
    await this.#call('leaveWorkspace', { workspace }, options);
  }

  joinedWorkspaces(): readonly string[] {
    return [...this.#workspaces.keys()];
  }

  members(workspace: string): readonly T.Member[] {
    return this.#workspaces.get(workspace) ?? [];
  }

  async setPresence(availability: T.Availability, status?: string, options?: T.WaitOptions) {
    await this.#call(
      'setPresence',
      { availability, ...(status === undefined ? {} : { status }) },
      options,
    );
  }

  async putBlob(data: Uint8Array, meta?: T.BlobMeta, options?: T.WaitOptions): Promise<T.BlobRef> {
    const base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
    if (base64.length > MAX_LINE_BYTES - 4096)
      throw new UsageError(
        `a blob of ${String(data.byteLength)} bytes is more than the session host link carries (${String(Math.floor((MAX_LINE_BYTES * 3) / 4 / 1048576))} MiB)`,
      );
    const ref = await this.#call('putBlob', { data: base64, ...(meta ? { meta } : {}) }, options);
    if (!isBlobRef(ref)) throw this.#badAnswer('putBlob', ref, 'a blob reference');
    return ref;
  }

  async getBlob(ref: T.BlobRef, options?: T.WaitOptions): Promise<Uint8Array> {
    const result = await this.#call('getBlob', { ref }, options);
    if (!isObject(result) || typeof result.data !== 'string')
      throw this.#badAnswer('getBlob', result, 'base64 data');
    const bytes = Buffer.from(result.data, 'base64');
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async putState(
    workspace: string,
    type: string,
    key: string,
    content: T.JsonObject,
    options?: T.WaitOptions,
  ) {
    await this.#call('putState', { workspace, type, key, content }, options);
  }

  async getState(workspace: string, type: string, key: string, options?: T.WaitOptions) {
    const result = await this.#call('getState', { workspace, type, key }, options);
    if (!isObject(result) || !(result.content === null || isObject(result.content)))
      throw this.#badAnswer('getState', result, 'a state document or null');
    return result.content ?? undefined;
  }

  async listState(workspace: string, type: string, options?: T.WaitOptions) {
    const result = await this.#call('listState', { workspace, type }, options);
    if (!Array.isArray(result) || !result.every(isStateEntry))
      throw this.#badAnswer('listState', result, 'a list of state entries');
    return result;
  }

  async history(target: T.Target, query: T.HistoryQuery = {}, options?: T.WaitOptions) {
    const result = await this.#call('history', { target, query }, options);
    if (!isHistoryPage(result)) throw this.#badAnswer('history', result, 'a page of messages');
    return result;
  }

  async createWorkspace(
    workspace: string,
    settings: T.WorkspaceSettings = {},
    options?: T.WaitOptions,
  ): Promise<T.WorkspaceInfo> {
    const info = await this.#call('createWorkspace', { workspace, settings }, options);
    if (!isWorkspaceInfo(info)) throw this.#badAnswer('createWorkspace', info, 'workspace info');
    this.#workspaces.set(workspace, info.members);
    return info;
  }

  async invite(workspace: string, account: string, options?: T.WaitOptions): Promise<void> {
    await this.#call('invite', { workspace, account }, options);
  }

  async setRole(
    workspace: string,
    account: string,
    role: Exclude<T.WorkspaceRole, 'owner'>,
    options?: T.WaitOptions,
  ): Promise<void> {
    await this.#call('setRole', { workspace, account, role }, options);
  }

  async roles(workspace: string, options?: T.WaitOptions): Promise<readonly T.RoleEntry[]> {
    const result = await this.#call('roles', { workspace }, options);
    if (!Array.isArray(result) || !result.every(isRoleEntry))
      throw this.#badAnswer('roles', result, 'a list of roles');
    return result;
  }

  async advertise(advertisement: T.Advertisement, options?: T.WaitOptions): Promise<void> {
    await this.#call('advertise', { advertisement }, options);
  }

  async searchDirectory(
    query: T.DirectoryQuery = {},
    options?: T.WaitOptions,
  ): Promise<readonly T.DirectoryEntry[]> {
    const result = await this.#call('searchDirectory', { query }, options);
    if (!Array.isArray(result) || !result.every(isDirectoryEntry))
      throw this.#badAnswer('searchDirectory', result, 'a list of directory entries');
    return result;
  }

  /** Only the host holds the connection peers send their requests to, so only it can answer. */
  answerAgentRequests(_handler: T.AgentRequestHandler | undefined): void {
    throw new RefusedError(
      `only the process that hosts profile ${quote(this.#options.profile)} (mx-agent serve) answers agent requests; this one reaches it through its session host`,
    );
  }

  async askAgent(to: string, request: AgentAsk, options?: T.WaitOptions) {
    // An execution may run for minutes: longer than the link's default wait for an answer.
    const timeoutMs = options?.timeoutMs ?? defaultAskMs(request);
    const result = await this.#call('askAgent', { to, request }, { ...options, timeoutMs });
    if (!isAgentResponse(result)) throw this.#badAnswer('askAgent', result, 'an agent response');
    return result;
  }

  async setTyping(target: T.Target, typing: boolean, options?: T.WaitOptions): Promise<void> {
    await this.#call('setTyping', { target, typing }, options);
  }

  async react(
    target: T.Target,
    messageId: string,
    emoji: string,
    options?: T.WaitOptions,
  ): Promise<void> {
    await this.#call('react', { target, messageId, emoji }, options);
  }

  #attach(socket: Socket): void {
    this.#socket = socket;
    const reader = new LineReader(
      MAX_LINE_BYTES,
      (line) => {
        this.#onLine(line);
      },
      (bytes) => {
        this.#reject(`the session host sent a line of ${String(bytes)} bytes; dropped`);
      },
    );
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
    });
    socket.on('error', () => undefined); // 'close' follows and says what matters
    socket.once('close', () => {
      this.#onHostGone(socket);
    });
  }

  #onLine(line: string): void {
    const parsed = parseHostMessage(line);
    if (!parsed.ok) {
      this.#reject(`malformed line from the session host: ${parsed.reason}`);
      return;
    }
    this.#onMessage(parsed.value);
  }

  #onMessage(message: HostMessage): void {
    if ('bye' in message) {
      this.#bye = message.bye;
    } else if ('event' in message) {
      const event = fromWireEvent(message.event);
      if (event.type === 'connection') {
        this.#state = event.state;
        if (message.address !== undefined) this.#address = message.address;
      }
      const workspace = event.type === 'presence' ? event.workspace : undefined;
      if (workspace !== undefined && message.members && this.#workspaces.has(workspace))
        this.#workspaces.set(workspace, message.members);
      this.#listeners.emit(event);
    } else if ('error' in message) {
      const error = fromWireError(message.error);
      if (message.id === undefined || !this.#calls.settle(message.id, { error }))
        this.#reject(`the session host could not read a request: ${message.error.message}`);
    } else {
      this.#calls.settle(message.id, { result: message.result });
    }
  }

  #onHostGone(socket: Socket): void {
    if (this.#socket !== socket) return; // we closed it
    this.#socket = undefined;
    const who = `the session host of profile ${quote(this.#options.profile)}`;
    if (!this.#greeted) {
      this.#calls.failAll(new HostUnavailableError(`${who} closed the connection (stopping?)`));
      return;
    }
    const error = new NetworkError(
      this.#bye === undefined ? `${who} went away` : `${who} stopped: ${this.#bye}`,
    );
    this.#calls.failAll(error);
    this.#state = 'offline';
    this.#listeners.emit({ type: 'connection', state: 'offline', error });
  }

  #call(method: Method, params: Record<string, unknown>, options?: T.WaitOptions) {
    if (!this.#socket || this.#state === 'closed')
      return Promise.reject(
        new NetworkError(
          `the session link of profile ${quote(this.#options.profile)} is ${this.#state === 'closed' ? 'closed' : 'not connected'}`,
        ),
      );
    return this.#calls.call(method, params, options);
  }

  #setSubscribed(on: boolean): void {
    if (this.#subscribed === on) return;
    this.#subscribed = on;
    // A lost link is reported by its connection event; nothing more to say here.
    this.#call(on ? 'subscribe' : 'unsubscribe', {}).catch(() => undefined);
  }

  #reject(reason: string): void {
    this.#listeners.emit({ type: 'rejected', reason });
  }

  #badAnswer(method: string, value: unknown, expected: string): InternalError {
    return new InternalError(
      `the session host answered ${method} with ${describeValue(value)}; expected ${expected}`,
    );
  }
}
