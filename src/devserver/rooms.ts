/**
 * Room operations with their authorization: create (spec "Creation" with presets and
 * initial_state), join, invite, leave, send and state changes checked against membership and
 * power levels. Join and invite events carry the member's display name and avatar, and a
 * profile change is sent to the user's rooms (spec "Events on Change of Profile Information").
 */
import { randomBytes } from 'node:crypto';
import { MatrixError, badJson, forbidden } from './matrix-error.ts';
import {
  defaultPowerLevels,
  invalidPowerLevels,
  powerLevelsChangeRefused,
  requiredLevel,
  userLevel,
  type PowerLevels,
} from './power-levels.ts';
import type { Profile } from './profiles.ts';
import type { RoomEvent, RoomStore } from './room-store.ts';

const PRESETS: Record<string, { join_rule: string; history: string; guest: string }> = {
  private_chat: { join_rule: 'invite', history: 'shared', guest: 'can_join' },
  trusted_private_chat: { join_rule: 'invite', history: 'shared', guest: 'can_join' },
  public_chat: { join_rule: 'public', history: 'shared', guest: 'forbidden' },
};

type StateInput = { type: string; state_key?: string; content: Record<string, unknown> };

/** Room logic over the store. */
export class Rooms {
  readonly store: RoomStore;
  /** The server name in our ids. */
  readonly serverName: string;
  readonly #profileOf: (userId: string) => Profile;

  constructor(store: RoomStore, serverName: string, profileOf: (userId: string) => Profile) {
    this.store = store;
    this.serverName = serverName;
    this.#profileOf = profileOf;
  }

  /** POST /createRoom. */
  create(creator: string, body: Record<string, unknown>): { room_id: string; room_alias?: string } {
    const visibility = body.visibility === 'public' ? 'public' : 'private';
    const preset =
      typeof body.preset === 'string'
        ? body.preset
        : visibility === 'public'
          ? 'public_chat'
          : 'private_chat';
    const rules = PRESETS[preset];
    if (!rules)
      throw new MatrixError(400, 'M_INVALID_PARAM', `unknown preset ${JSON.stringify(preset)}`);
    const alias =
      typeof body.room_alias_name === 'string'
        ? `#${body.room_alias_name}:${this.serverName}`
        : undefined;
    if (alias && this.store.resolveAlias(alias))
      throw new MatrixError(400, 'M_ROOM_IN_USE', `${alias} is already taken`);
    const creation: unknown = body.creation_content ?? {};
    if (typeof creation !== 'object' || creation === null || Array.isArray(creation))
      throw badJson('expected creation_content to be an object');
    const invite = Array.isArray(body.invite)
      ? body.invite.filter((u): u is string => typeof u === 'string')
      : [];
    const roomId = `!${randomBytes(12).toString('base64url')}:${this.serverName}`;
    const version = typeof body.room_version === 'string' ? body.room_version : '10';
    this.store.createRoom(roomId, creator, version);
    const add = (type: string, content: Record<string, unknown>, stateKey = ''): void => {
      this.store.append({ room_id: roomId, sender: creator, type, state_key: stateKey, content });
    };
    // creation_content adds to the create event (e.g. `type`, the room type); the server's own
    // keys win (spec: createRoom, `creation_content`).
    add('m.room.create', { ...creation, creator, room_version: version });
    add('m.room.member', this.#member('join', creator), creator);
    const levels = defaultPowerLevels(creator);
    if (preset === 'trusted_private_chat')
      for (const user of invite) (levels.users as Record<string, number>)[user] = 100;
    add('m.room.power_levels', {
      ...levels,
      ...(body.power_level_content_override as object | undefined),
    });
    if (alias) add('m.room.canonical_alias', { alias });
    add('m.room.join_rules', { join_rule: rules.join_rule });
    add('m.room.history_visibility', { history_visibility: rules.history });
    add('m.room.guest_access', { guest_access: rules.guest });
    for (const state of initialState(body.initial_state))
      add(state.type, state.content, state.state_key ?? '');
    if (typeof body.name === 'string') add('m.room.name', { name: body.name });
    if (typeof body.topic === 'string') add('m.room.topic', { topic: body.topic });
    for (const user of invite)
      add(
        'm.room.member',
        {
          ...this.#member('invite', user),
          ...(body.is_direct === true ? { is_direct: true } : {}),
        },
        user,
      );
    if (alias) this.store.setAlias(alias, roomId, creator);
    this.store.setVisibility(roomId, visibility);
    return { room_id: roomId, ...(alias ? { room_alias: alias } : {}) };
  }

  /** Join by id or alias: public rooms, or rooms the user is invited to. */
  join(userId: string, roomIdOrAlias: string): string {
    const roomId = this.resolve(roomIdOrAlias);
    const membership = this.store.membership(roomId, userId);
    if (membership === 'join') return roomId;
    if (membership === 'ban') throw forbidden(`${userId} is banned from ${roomId}`);
    const rule = this.store.state(roomId, 'm.room.join_rules', '')?.content.join_rule;
    if (rule !== 'public' && membership !== 'invite')
      throw forbidden(`${userId} is not invited to ${roomId}`);
    this.#appendMember(roomId, userId, userId, this.#member('join', userId));
    return roomId;
  }

  invite(sender: string, roomId: string, target: string): void {
    this.requireJoined(sender, roomId);
    if (userLevel(this.#levels(roomId), sender) < (this.#levels(roomId).invite ?? 0))
      throw forbidden(`${sender} may not invite in ${roomId}`);
    const membership = this.store.membership(roomId, target);
    if (membership === 'join' || membership === 'ban')
      throw forbidden(`${target} is ${membership === 'join' ? 'already in the room' : 'banned'}`);
    // The same membership again changes nothing; Synapse answers with the existing event too.
    if (membership === 'invite') return;
    this.#appendMember(roomId, sender, target, this.#member('invite', target));
  }

  /** After a profile change: a new join event with the new profile in each of the user's rooms. */
  profileChanged(userId: string): void {
    for (const roomId of this.store.roomsOf(userId, ['join']))
      this.#appendMember(roomId, userId, userId, this.#member('join', userId));
  }

  leave(userId: string, roomId: string): void {
    const membership = this.store.membership(roomId, userId);
    if (membership !== 'join' && membership !== 'invite')
      throw forbidden(`${userId} is not in ${roomId}`);
    this.#appendMember(roomId, userId, userId, { membership: 'leave' });
  }

  /** PUT /send: a message event, idempotent per transaction. */
  send(
    sender: string,
    roomId: string,
    type: string,
    content: Record<string, unknown>,
    txnKey: string,
  ): RoomEvent {
    this.requireJoined(sender, roomId);
    this.#requireLevel(sender, roomId, type, false);
    return this.store.append({ room_id: roomId, sender, type, content }, txnKey);
  }

  /** PUT /state: a state event, checked against power levels. */
  setState(
    sender: string,
    roomId: string,
    type: string,
    stateKey: string,
    content: Record<string, unknown>,
  ): RoomEvent {
    this.requireJoined(sender, roomId);
    if (type === 'm.room.member') throw badJson('change membership with /join, /leave and /invite');
    // State keys that are user ids belong to that user (spec: "owned" state keys).
    if (stateKey.startsWith('@') && stateKey !== sender)
      throw forbidden(`${sender} may not set state keyed by ${stateKey}`);
    this.#requireLevel(sender, roomId, type, true);
    if (type === 'm.room.power_levels') {
      const invalid = invalidPowerLevels(content);
      if (invalid) throw badJson(`invalid power levels: ${invalid}`);
      const refused = powerLevelsChangeRefused(sender, this.#levels(roomId), content);
      if (refused) throw forbidden(`${sender} may not change these power levels: ${refused}`);
    }
    return this.store.append({ room_id: roomId, sender, type, state_key: stateKey, content });
  }

  /** A room id for an id or alias, or M_NOT_FOUND. */
  resolve(roomIdOrAlias: string): string {
    const roomId = roomIdOrAlias.startsWith('#')
      ? this.store.resolveAlias(roomIdOrAlias)
      : roomIdOrAlias;
    if (!roomId || !this.store.exists(roomId))
      throw new MatrixError(404, 'M_NOT_FOUND', `no room ${roomIdOrAlias}`);
    return roomId;
  }

  requireJoined(userId: string, roomId: string): void {
    if (!this.store.exists(roomId)) throw new MatrixError(404, 'M_NOT_FOUND', `no room ${roomId}`);
    if (this.store.membership(roomId, userId) !== 'join')
      throw forbidden(`${userId} is not in ${roomId}`);
  }

  /**
   * Publishing a room in the directory: the level needed to send `m.room.canonical_alias`, as
   * Synapse asks (the spec leaves the check to the server).
   */
  requirePublisher(userId: string, roomId: string): void {
    this.requireJoined(userId, roomId);
    this.#requireLevel(userId, roomId, 'm.room.canonical_alias', true);
  }

  /** Append an m.room.member event: `sender` changes the membership of `target`. */
  #appendMember(
    roomId: string,
    sender: string,
    target: string,
    content: Record<string, unknown>,
  ): void {
    this.store.append({
      room_id: roomId,
      sender,
      type: 'm.room.member',
      state_key: target,
      content,
    });
  }

  /** Member event content: the membership and the member's current profile. */
  #member(membership: 'join' | 'invite', userId: string): Record<string, unknown> {
    return { membership, ...this.#profileOf(userId) };
  }

  #levels(roomId: string): PowerLevels {
    return this.store.state(roomId, 'm.room.power_levels', '')?.content ?? {};
  }

  #requireLevel(sender: string, roomId: string, type: string, isState: boolean): void {
    const levels = this.#levels(roomId);
    const needed = requiredLevel(levels, type, isState);
    if (userLevel(levels, sender) < needed)
      throw forbidden(`${sender} needs power level ${String(needed)} to send ${type} in ${roomId}`);
  }
}

function initialState(value: unknown): StateInput[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw badJson('expected initial_state to be a list of state events');
  return value.map((entry: unknown) => {
    const e = entry as Partial<StateInput>;
    if (typeof e.type !== 'string' || typeof e.content !== 'object')
      throw badJson('each initial_state entry needs a type and a content object');
    return {
      type: e.type,
      content: e.content,
      ...(typeof e.state_key === 'string' ? { state_key: e.state_key } : {}),
    };
  });
}
