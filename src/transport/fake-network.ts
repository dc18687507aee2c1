/**
 * The fake network: the in-memory "server" FakeTransports (fake.ts) connect to — peers, rooms,
 * blobs, offline mailboxes, per-conversation logs and advertisements.
 */
import { NetworkError, quote } from '../errors.ts';
import { FakeTransport, type FakeTransportOptions } from './fake.ts';
import { targetKey } from './fake-chat.ts';
import { sha256Hex } from './payload.ts';
import { directoryOf, newRoom, type Room } from './fake-rooms.ts';
import type {
  Advertisement,
  BlobMeta,
  BlobRef,
  DirectoryEntry,
  DirectoryQuery,
  InboundMessage,
  Target,
  TransportEvent,
  WorkspaceSettings,
} from './transport.ts';

/** The shared "server" fake transports connect to. */
export class FakeNetwork {
  readonly #peers = new Map<string, FakeTransport>();
  readonly #rooms = new Map<string, Room>();
  readonly #blobs = new Map<string, Uint8Array>();
  readonly #mailboxes = new Map<string, TransportEvent[]>();
  /** Every message ever sent, per conversation (a workspace, or a sorted pair of addresses). */
  readonly #logs = new Map<string, InboundMessage[]>();
  readonly #adverts = new Map<string, Advertisement>();
  /** Who is composing where (XEP-0085 `composing`, Matrix `m.typing`). */
  readonly #typing = new Map<string, Map<string, Target>>();

  /** A new transport for `name` (address `fake:name`). */
  transport(name: string, options?: FakeTransportOptions): FakeTransport {
    return new FakeTransport(this, `fake:${name}`, options);
  }

  /** Simulate an outage: every peer drops and comes back after `ms`. */
  async interrupt(ms = 50): Promise<void> {
    const peers = [...this.#peers.values()];
    for (const peer of peers) peer.drop();
    await new Promise((resolve) => setTimeout(resolve, ms));
    for (const peer of peers) peer.restore();
  }

  /** The conversations `address` says it is composing in now (as `setTyping` left them). */
  typing(address: string): Target[] {
    return [...(this.#typing.get(address)?.values() ?? [])];
  }

  /** @internal */ setTyping(address: string, target: Target, typing: boolean): void {
    const where = this.#typing.get(address) ?? new Map<string, Target>();
    if (typing) where.set(targetKey(target), target);
    else where.delete(targetKey(target));
    this.#typing.set(address, where);
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

  /** @internal Store bytes (a copy) under their sha256. */
  putBlob(data: Uint8Array, meta: BlobMeta): BlobRef {
    const sha256 = sha256Hex(data);
    this.#blobs.set(sha256, Uint8Array.from(data));
    return { uri: `fake-blob:${sha256}`, size: data.byteLength, sha256, ...meta };
  }

  /** @internal Fetch and verify stored bytes; NetworkError when absent or not matching. */
  getBlob(ref: BlobRef): Uint8Array {
    const data = this.#blobs.get(ref.uri.replace(/^fake-blob:/, ''));
    if (!data) throw new NetworkError(`blob ${quote(ref.uri)} not found`);
    if (data.byteLength !== ref.size || sha256Hex(data) !== ref.sha256)
      throw new NetworkError(`blob ${quote(ref.uri)} failed its integrity check`);
    return Uint8Array.from(data);
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
