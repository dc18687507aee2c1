/**
 * GET /sync (spec v1.11 "Syncing"): initial and incremental sync of joined, invited and left
 * rooms, account data, and long-polling until something arrives or the timeout ends.
 * The `next_batch` token is opaque to clients:
 * `s<room events>_a<account data>_d<to-device>_k<device-list changes>_p<presence>`
 * (tokens without `_p`, from before presence existed, are read as `_p0`).
 */
import type { AccountData } from './account-data.ts';
import type { Keys } from './keys.ts';
import { MatrixError } from './matrix-error.ts';
import { presenceEvent, type Presence } from './presence.ts';
import type { Notifier } from './notifier.ts';
import { clientEvent, type RoomEvent, type RoomStore } from './room-store.ts';

/** Positions in each stream a sync token covers. */
export interface SyncPosition {
  readonly events: number;
  readonly accountData: number;
  readonly toDevice: number;
  readonly deviceLists: number;
  readonly presence: number;
}

export function formatSyncToken(p: SyncPosition): string {
  return `s${String(p.events)}_a${String(p.accountData)}_d${String(p.toDevice)}_k${String(p.deviceLists)}_p${String(p.presence)}`;
}

export function parseSyncToken(token: string): SyncPosition {
  const match = /^s(\d+)_a(\d+)_d(\d+)_k(\d+)(?:_p(\d+))?$/.exec(token);
  if (!match) {
    throw new MatrixError(
      400,
      'M_INVALID_PARAM',
      `expected a since token from this server, got ${JSON.stringify(token)}`,
    );
  }
  return {
    events: Number(match[1]),
    accountData: Number(match[2]),
    toDevice: Number(match[3]),
    deviceLists: Number(match[4]),
    presence: Number(match[5] ?? 0),
  };
}

/** What one /sync request asks for. */
export interface SyncRequest {
  readonly userId: string;
  readonly deviceId: string;
  readonly since: SyncPosition | undefined;
  readonly timeoutMs: number;
  readonly timelineLimit: number;
  readonly fullState: boolean;
  readonly signal?: AbortSignal;
}

/** State events an invitee may see before joining (spec: "stripped state"). */
const INVITE_STATE = new Set([
  'm.room.create',
  'm.room.join_rules',
  'm.room.name',
  'm.room.canonical_alias',
  'm.room.encryption',
  'm.room.avatar',
]);

/** Computes sync responses. */
export class Syncer {
  readonly #rooms: RoomStore;
  readonly #accountData: AccountData;
  readonly #notifier: Notifier;
  readonly #keys: Keys;
  readonly #presence: Presence;

  constructor(
    rooms: RoomStore,
    accountData: AccountData,
    keys: Keys,
    notifier: Notifier,
    presence: Presence,
  ) {
    this.#presence = presence;
    this.#rooms = rooms;
    this.#accountData = accountData;
    this.#keys = keys;
    this.#notifier = notifier;
  }

  /** Answer at once when there is news (or on an initial sync); otherwise wait up to the timeout. */
  async sync(request: SyncRequest): Promise<Record<string, unknown>> {
    const deadline = Date.now() + request.timeoutMs;
    for (;;) {
      const { response, empty } = this.#compute(request);
      const remaining = deadline - Date.now();
      if (!empty || request.since === undefined || remaining <= 0 || request.signal?.aborted)
        return response;
      await this.#notifier.wait(remaining, request.signal);
    }
  }

  #compute(request: SyncRequest): { response: Record<string, unknown>; empty: boolean } {
    const head: SyncPosition = {
      events: this.#rooms.head(),
      accountData: this.#accountData.head(),
      toDevice: this.#keys.toDeviceHead(),
      deviceLists: this.#keys.keyChangesHead(),
      presence: this.#presence.head(),
    };
    const from: SyncPosition = request.since ?? {
      events: 0,
      accountData: 0,
      toDevice: 0,
      deviceLists: 0,
      presence: 0,
    };
    const initial = request.since === undefined;
    const accountData = this.#accountData.since(request.userId, from.accountData);
    const join: Record<string, unknown> = {};
    for (const roomId of this.#rooms.roomsOf(request.userId, ['join'])) {
      const roomData = accountData.filter((a) => a.room_id === roomId);
      const section = this.#joined(
        roomId,
        request,
        from.events,
        head.events,
        initial || request.fullState,
      );
      if (section || roomData.length > 0) {
        join[roomId] = {
          ...this.#emptyJoined(),
          ...section,
          account_data: { events: roomData.map(({ type, content }) => ({ type, content })) },
        };
      }
    }
    const invite = this.#invited(request.userId, from.events, initial);
    const leave = initial ? {} : this.#left(request, from.events, head.events);
    const global = accountData
      .filter((a) => a.room_id === '')
      .map(({ type, content }) => ({ type, content }));
    const toDevice = this.#keys.toDevice(request.userId, request.deviceId, from.toDevice);
    // The token covers the to-device events actually delivered (a batch may be capped).
    const next: SyncPosition = {
      ...head,
      toDevice:
        toDevice.at(-1)?.stream ??
        (this.#keys.isHeld(request.userId)
          ? from.toDevice
          : Math.max(from.toDevice, head.toDevice)),
    };
    const changed = initial
      ? []
      : this.#keys
          .changedUsers(from.deviceLists, head.deviceLists)
          .filter((u) => this.#sharesRoom(request.userId, u));
    const presence = this.#presence
      .since(from.presence)
      .filter((row) => this.#sharesRoom(request.userId, row.userId))
      .map(presenceEvent);
    const sections =
      Object.keys(join).length + Object.keys(invite).length + Object.keys(leave).length;
    const empty =
      sections + global.length + toDevice.length + changed.length + presence.length === 0;
    return {
      empty,
      response: {
        next_batch: formatSyncToken(next),
        rooms: { join, invite, leave, knock: {} },
        account_data: { events: global },
        presence: { events: presence },
        to_device: {
          events: toDevice.map(({ sender, type, content }) => ({ sender, type, content })),
        },
        device_lists: { changed, left: [] },
        device_one_time_keys_count: this.#keys.oneTimeKeyCounts(request.userId, request.deviceId),
        device_unused_fallback_key_types: this.#keys.unusedFallbackKeyTypes(
          request.userId,
          request.deviceId,
        ),
      },
    };
  }

  /** A joined room's timeline since `from`, with full state on first sight; undefined if quiet. */
  #joined(
    roomId: string,
    request: SyncRequest,
    from: number,
    to: number,
    withState: boolean,
  ): Record<string, unknown> | undefined {
    let window = this.#rooms.eventsBetween(roomId, from, to, request.timelineLimit + 1);
    const joinedNow = from > 0 && this.#rooms.membershipAt(roomId, request.userId, from) !== 'join';
    // A room joined since `from` gets its recent timeline, as Synapse gives it (and as on an
    // initial sync), events from before the join included: what was written while we were
    // only invited is not skipped.
    if (joinedNow) window = this.#rooms.eventsBetween(roomId, 0, to, request.timelineLimit + 1);
    const limited = window.length > request.timelineLimit;
    const timeline = limited ? window.slice(1) : window;
    if (timeline.length === 0 && !withState) return undefined;
    const inTimeline = new Set(timeline.map((e) => e.event_id));
    const state =
      withState || joinedNow || limited
        ? this.#rooms.allState(roomId).filter((e) => !inTimeline.has(e.event_id) && e.stream <= to)
        : [];
    const first = timeline[0];
    return {
      // prev_batch is a /messages token: paging backwards from it gives what precedes the timeline.
      timeline: {
        events: timeline.map((e) => clientEvent(e, request)),
        limited,
        prev_batch: `s${String(first ? first.stream : to + 1)}`,
      },
      state: { events: state.map((e) => clientEvent(e)) },
    };
  }

  /** Device-list changes matter to a user for itself and for anyone it shares a room with. */
  #sharesRoom(userId: string, other: string): boolean {
    if (userId === other) return true;
    const mine = new Set(this.#rooms.roomsOf(userId, ['join', 'invite']));
    return this.#rooms.roomsOf(other, ['join', 'invite']).some((r) => mine.has(r));
  }

  #emptyJoined(): Record<string, unknown> {
    return {
      timeline: { events: [], limited: false },
      state: { events: [] },
      ephemeral: { events: [] },
      unread_notifications: { notification_count: 0, highlight_count: 0 },
      summary: {},
    };
  }

  #invited(userId: string, from: number, initial: boolean): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const roomId of this.#rooms.roomsOf(userId, ['invite'])) {
      const invite = this.#rooms.state(roomId, 'm.room.member', userId);
      if (!invite || (!initial && invite.stream <= from)) continue;
      const stripped = [
        ...this.#rooms.allState(roomId).filter((e) => INVITE_STATE.has(e.type)),
        invite,
      ].map(strip);
      result[roomId] = { invite_state: { events: stripped } };
    }
    return result;
  }

  #left(viewer: SyncRequest, from: number, to: number): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const roomId of this.#rooms.roomsOf(viewer.userId, ['leave', 'ban'])) {
      const membership = this.#rooms.state(roomId, 'm.room.member', viewer.userId);
      if (!membership || membership.stream <= from || membership.stream > to) continue;
      const timeline = this.#rooms.eventsBetween(roomId, from, membership.stream, 50);
      result[roomId] = {
        timeline: { events: timeline.map((e) => clientEvent(e, viewer)), limited: false },
        state: { events: [] },
      };
    }
    return result;
  }
}

function strip(event: RoomEvent): Record<string, unknown> {
  return {
    type: event.type,
    state_key: event.state_key ?? '',
    content: event.content,
    sender: event.sender,
  };
}
