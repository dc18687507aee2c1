/**
 * Room aliases and the public room directory (Client-Server API v1.11, "Room aliases" and
 * "Listing rooms"): which rooms are published, and GET/POST /publicRooms with the search
 * filter (`generic_search_term`, `room_types`), `limit`/`since` pagination and `server`.
 */
import type { Accounts } from './accounts.ts';
import { MatrixError, badJson } from './matrix-error.ts';
import type { Rooms } from './rooms.ts';
import type { Request, Router } from './router.ts';

const C = '/_matrix/client/v3';

/** Spec: PublicRoomsChunk. */
export interface PublicRoom {
  readonly room_id: string;
  readonly num_joined_members: number;
  readonly world_readable: boolean;
  readonly guest_can_join: boolean;
  readonly join_rule?: string;
  readonly name?: string;
  readonly topic?: string;
  readonly canonical_alias?: string;
  readonly avatar_url?: string;
  readonly room_type?: string;
}

/** What one /publicRooms request asks for. */
export interface PublicRoomsQuery {
  readonly limit?: number;
  readonly since?: string;
  readonly term?: string;
  /** Room types to keep; `null` stands for rooms without a type. */
  readonly roomTypes?: readonly (string | null)[];
}

/** Spec: a server name is a host name, IPv4 or [IPv6] literal, with an optional port. */
const SERVER_NAME = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$/;

/** Register the alias and directory routes. */
export function directoryRoutes(router: Router, accounts: Accounts, rooms: Rooms): void {
  const user = (req: Request): string => accounts.authenticate(req.token).userId;
  router.on('GET', `${C}/directory/room/:alias`, (req) => ({
    room_id: rooms.resolve(req.params.alias ?? ''),
    servers: [],
  }));
  router.on('PUT', `${C}/directory/room/:alias`, (req) => {
    const roomId = typeof req.body.room_id === 'string' ? req.body.room_id : '';
    rooms.requireJoined(user(req), roomId);
    if (!rooms.store.setAlias(req.params.alias ?? '', roomId, user(req)))
      throw new MatrixError(409, 'M_UNKNOWN', `${req.params.alias ?? ''} already exists`);
    return {};
  });
  router.on('DELETE', `${C}/directory/room/:alias`, (req) => {
    const roomId = rooms.resolve(req.params.alias ?? '');
    rooms.requireJoined(user(req), roomId);
    rooms.store.deleteAlias(req.params.alias ?? '');
    return {};
  });

  router.on('GET', `${C}/directory/list/room/:room`, (req) => {
    const roomId = req.params.room ?? '';
    if (!rooms.store.exists(roomId)) throw new MatrixError(404, 'M_NOT_FOUND', 'Room not found');
    return { visibility: rooms.store.visibility(roomId) };
  });
  router.on('PUT', `${C}/directory/list/room/:room`, (req) => {
    const roomId = req.params.room ?? '';
    const userId = user(req);
    if (!rooms.store.exists(roomId)) throw new MatrixError(404, 'M_NOT_FOUND', 'Room not found');
    // Spec: visibility defaults to public.
    const visibility = req.body.visibility ?? 'public';
    if (visibility !== 'public' && visibility !== 'private')
      throw new MatrixError(
        400,
        'M_INVALID_PARAM',
        `expected visibility public or private, got ${JSON.stringify(visibility)}`,
      );
    rooms.requirePublisher(userId, roomId);
    rooms.store.setVisibility(roomId, visibility);
    return {};
  });

  // GET needs no access token (spec); POST does.
  router.on('GET', `${C}/publicRooms`, (req) => {
    const limit = parseLimit(req.query.get('limit') ?? '0');
    const since = req.query.get('since');
    return listPublicRooms(rooms, req.query.get('server'), {
      ...(limit > 0 ? { limit } : {}),
      ...(since === null ? {} : { since }),
    });
  });
  router.on('POST', `${C}/publicRooms`, (req) => {
    accounts.authenticate(req.token);
    return listPublicRooms(rooms, req.query.get('server'), postQuery(req.body));
  });
}

/** One page of the public room directory, ordered by joined members, largest first. */
export function listPublicRooms(
  rooms: Rooms,
  server: string | null,
  query: PublicRoomsQuery,
): {
  chunk: PublicRoom[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate: number;
} {
  if (server !== null && server !== rooms.serverName) {
    if (!SERVER_NAME.test(server))
      throw new MatrixError(
        400,
        'M_INVALID_PARAM',
        `invalid server name ${JSON.stringify(server)}`,
      );
    // A real homeserver would ask that server over federation; this one has no federation.
    throw new MatrixError(
      502,
      'M_UNKNOWN',
      `cannot fetch the public rooms of ${server}: this development homeserver does not federate`,
    );
  }
  const term = query.term?.toLowerCase();
  const all = rooms.store
    .publicRooms()
    .map((roomId) => publicRoom(rooms, roomId))
    // Synapse lists published rooms that can be joined or peeked into, nothing else.
    .filter((r) => r.join_rule === 'public' || r.join_rule === 'knock' || r.world_readable)
    .filter((r) => !term || [r.name, r.topic, r.canonical_alias].some((v) => matches(v, term)))
    .filter((r) => !query.roomTypes || query.roomTypes.includes(r.room_type ?? null))
    .sort((a, b) => b.num_joined_members - a.num_joined_members || cmp(a.room_id, b.room_id));
  const offset = query.since === undefined ? 0 : parseSince(query.since);
  const limit = query.limit ?? all.length;
  const end = offset + limit;
  return {
    chunk: all.slice(offset, end),
    ...(end < all.length ? { next_batch: `o${String(end)}` } : {}),
    ...(offset > 0 ? { prev_batch: `o${String(Math.max(0, offset - limit))}` } : {}),
    total_room_count_estimate: all.length,
  };
}

function publicRoom(rooms: Rooms, roomId: string): PublicRoom {
  const state = (type: string): Record<string, unknown> =>
    rooms.store.state(roomId, type, '')?.content ?? {};
  const text = (type: string, key: string): string | undefined => {
    const value = state(type)[key];
    return typeof value === 'string' ? value : undefined;
  };
  const members = rooms.store
    .allState(roomId)
    .filter((e) => e.type === 'm.room.member' && e.content.membership === 'join').length;
  const optional = {
    join_rule: text('m.room.join_rules', 'join_rule'),
    name: text('m.room.name', 'name'),
    topic: text('m.room.topic', 'topic'),
    canonical_alias: text('m.room.canonical_alias', 'alias'),
    avatar_url: text('m.room.avatar', 'url'),
    room_type: text('m.room.create', 'type'),
  };
  return {
    room_id: roomId,
    num_joined_members: members,
    world_readable: text('m.room.history_visibility', 'history_visibility') === 'world_readable',
    guest_can_join: text('m.room.guest_access', 'guest_access') === 'can_join',
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

function postQuery(body: Record<string, unknown>): PublicRoomsQuery {
  const { limit, since, filter } = body;
  if (limit !== undefined && (!Number.isInteger(limit) || (limit as number) < 0))
    throw badJson('expected limit to be a non-negative integer');
  if (since !== undefined && typeof since !== 'string')
    throw badJson('expected since to be a string');
  if (filter !== undefined && (typeof filter !== 'object' || filter === null))
    throw badJson('expected filter to be an object');
  const { generic_search_term: term, room_types: types } = (filter ?? {}) as Record<
    string,
    unknown
  >;
  if (term !== undefined && typeof term !== 'string')
    throw badJson('expected filter.generic_search_term to be a string');
  if (
    types !== undefined &&
    (!Array.isArray(types) || !types.every((t) => t === null || typeof t === 'string'))
  )
    throw badJson('expected filter.room_types to be a list of room types and null');
  return {
    // Spec and Synapse: a limit of 0 means no limit.
    ...(typeof limit === 'number' && limit > 0 ? { limit } : {}),
    ...(typeof since === 'string' ? { since } : {}),
    ...(term ? { term } : {}),
    ...(types ? { roomTypes: types as (string | null)[] } : {}),
  };
}

/** A limit from the query string; 0 (no limit) when absent. */
function parseLimit(text: string): number {
  if (!/^\d+$/.test(text))
    throw new MatrixError(
      400,
      'M_INVALID_PARAM',
      `expected limit to be a non-negative integer, got ${JSON.stringify(text)}`,
    );
  return Number(text);
}

/** `o<offset>` tokens; the same token pages forwards or backwards, as the spec allows. */
function parseSince(token: string): number {
  const match = /^o(\d+)$/.exec(token);
  if (!match)
    throw new MatrixError(
      400,
      'M_INVALID_PARAM',
      `expected a directory token like o20, got ${JSON.stringify(token)}`,
    );
  return Number(match[1]);
}

function matches(value: string | undefined, term: string): boolean {
  return value?.toLowerCase().includes(term) === true;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
