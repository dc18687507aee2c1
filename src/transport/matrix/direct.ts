/**
 * Direct conversations on Matrix (specs/protocol.md §4.2): one encrypted DM room per peer,
 * created on the first send and listed in `m.direct` account data as other clients expect;
 * invites marked `is_direct` are joined. Concurrent first sends to a peer share one room.
 */
import type { MatrixClient } from 'matrix-js-sdk';
import { UsageError, messageOf } from '../../errors.ts';
import { ENCRYPTION_STATE } from './room-defaults.ts';
import { mapMatrixError } from './matrix-errors.ts';

/** What direct rooms need from their transport. */
export interface DirectContext {
  readonly userId: string;
  /** Create direct rooms end-to-end encrypted. */
  readonly encryption: boolean;
  client(): MatrixClient;
  isWorkspace(roomId: string): boolean;
  /** A direct room was created or joined: everything in it is for us from its start. */
  created(roomId: string, encrypted: boolean): void;
  /** Wait until the room is synced as joined (and its encryption known). */
  ready(roomId: string, signal: AbortSignal): Promise<unknown>;
  log(level: 'debug' | 'info' | 'warn', message: string): void;
}

/** The direct rooms of one account. */
export class DirectRooms {
  readonly #ctx: DirectContext;
  readonly #roomOf = new Map<string, string>();
  readonly #peerOf = new Map<string, string>();
  readonly #creating = new Map<string, Promise<string>>();

  constructor(ctx: DirectContext) {
    this.#ctx = ctx;
  }

  /** The peer of a direct room, or undefined. */
  peerOf(roomId: string): string | undefined {
    return this.#peerOf.get(roomId);
  }

  /** Learn the direct rooms listed in `m.direct` account data. */
  learn(content: Record<string, unknown>): void {
    for (const [userId, rooms] of Object.entries(content)) {
      if (!Array.isArray(rooms)) continue;
      for (const roomId of rooms) {
        if (typeof roomId !== 'string' || this.#ctx.isWorkspace(roomId)) continue;
        this.#peerOf.set(roomId, userId);
        const joined = this.#ctx.client().getRoom(roomId)?.getMyMembership() === 'join';
        if (joined && !this.#roomOf.has(userId)) this.#roomOf.set(userId, roomId);
      }
    }
  }

  /** The joined direct room with `userId`, if there is one; never creates one. */
  existing(userId: string): string | undefined {
    const joined = (roomId: string): boolean =>
      this.#ctx.client().getRoom(roomId)?.getMyMembership() === 'join';
    const known = this.#roomOf.get(userId);
    if (known && joined(known)) return known;
    for (const [roomId, peer] of this.#peerOf) if (peer === userId && joined(roomId)) return roomId;
    return undefined;
  }

  /** Join a room a peer invited us to as a direct conversation. */
  async acceptInvite(roomId: string, inviter: string): Promise<void> {
    if (!inviter) return;
    try {
      this.#peerOf.set(roomId, inviter);
      this.#ctx.created(roomId, false);
      // Listed before joining: a process killed in between finds the invitation again on
      // restart, while a room joined but never listed would not be known as direct at all.
      await this.#mark(inviter, roomId);
      await this.#ctx.client().joinRoom(roomId);
      this.#roomOf.set(inviter, roomId);
    } catch (error) {
      this.#ctx.log(
        'warn',
        `could not join the direct room ${roomId} from ${inviter}: ${messageOf(error)}`,
      );
    }
  }

  /** The joined direct room with `userId`, created (and the peer invited) when there is none. */
  async roomFor(userId: string, signal: AbortSignal): Promise<string> {
    // A room still being made is known and joined before it is ready (m.direct, encryption):
    // a later send must wait for it too, or it overtakes the first send into the room.
    const inFlight = this.#creating.get(userId);
    if (inFlight) return inFlight;
    // Also a room m.direct named before it was synced as joined (right after a restart, when
    // the agent answers before the peer writes again): a new room would split the conversation.
    const known = this.existing(userId);
    if (known) {
      this.#roomOf.set(userId, known);
      return known;
    }
    const creating = this.#create(userId, signal).finally(() => this.#creating.delete(userId));
    this.#creating.set(userId, creating);
    return creating;
  }

  async #create(userId: string, signal: AbortSignal): Promise<string> {
    if (userId === this.#ctx.userId)
      throw new UsageError('cannot send a direct message to yourself');
    const encrypted = this.#ctx.encryption;
    let roomId: string;
    try {
      ({ room_id: roomId } = await this.#ctx.client().createRoom({
        is_direct: true,
        invite: [userId],
        preset: 'trusted_private_chat' as never,
        ...(encrypted ? { initial_state: [ENCRYPTION_STATE] } : {}),
      }));
    } catch (error) {
      throw mapMatrixError(error, `open a direct room with ${userId}`);
    }
    this.#ctx.created(roomId, encrypted);
    this.#peerOf.set(roomId, userId);
    this.#roomOf.set(userId, roomId);
    await this.#mark(userId, roomId);
    await this.#ctx.ready(roomId, signal);
    return roomId;
  }

  /** Record a direct room in m.direct account data, as other clients expect. */
  async #mark(userId: string, roomId: string): Promise<void> {
    const client = this.#ctx.client();
    const current: Record<string, unknown> =
      client.getAccountData('m.direct' as never)?.getContent() ?? {};
    const rooms = Array.isArray(current[userId]) ? (current[userId] as unknown[]) : [];
    if (rooms.includes(roomId)) return;
    await client.setAccountData(
      'm.direct' as never,
      { ...current, [userId]: [...rooms, roomId] } as never,
    );
  }
}
