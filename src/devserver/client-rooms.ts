/**
 * Room endpoints of the Client-Server API (v1.11): createRoom, join/invite/leave, send, state,
 * /messages pagination and members; aliases and the room directory are in directory.ts.
 */
import type { Accounts } from './accounts.ts';
import { MatrixError, badJson } from './matrix-error.ts';
import { clientEvent } from './room-store.ts';
import type { Rooms } from './rooms.ts';
import type { Request, Router } from './router.ts';
import { directoryRoutes } from './directory.ts';

const C = '/_matrix/client/v3';

/** `s<stream>` pagination tokens; the same form /sync uses. */
export function streamToken(stream: number): string {
  return `s${String(stream)}`;
}

/** Parse a token from a client, or M_INVALID_PARAM. */
export function parseStreamToken(token: string): number {
  const match = /^s(\d+)$/.exec(token);
  if (!match)
    throw new MatrixError(
      400,
      'M_INVALID_PARAM',
      `expected a pagination token like s42, got ${JSON.stringify(token)}`,
    );
  return Number(match[1]);
}

/** Register the room routes. */
export function roomRoutes(router: Router, accounts: Accounts, rooms: Rooms): void {
  const user = (req: Request): string => accounts.authenticate(req.token).userId;
  const content = (req: Request): Record<string, unknown> => req.body;

  router.on('POST', `${C}/createRoom`, (req) => rooms.create(user(req), req.body));
  router.on('POST', `${C}/join/:room`, (req) => ({
    room_id: rooms.join(user(req), req.params.room ?? ''),
  }));
  router.on('POST', `${C}/rooms/:room/join`, (req) => ({
    room_id: rooms.join(user(req), req.params.room ?? ''),
  }));
  router.on('POST', `${C}/rooms/:room/invite`, (req) => {
    if (typeof req.body.user_id !== 'string') throw badJson('expected user_id');
    rooms.invite(user(req), req.params.room ?? '', req.body.user_id);
    return {};
  });
  router.on('POST', `${C}/rooms/:room/leave`, (req) => {
    rooms.leave(user(req), req.params.room ?? '');
    return {};
  });

  router.on('PUT', `${C}/rooms/:room/send/:type/:txn`, (req) => {
    const session = accounts.authenticate(req.token);
    const txnKey = `${session.userId}|${session.deviceId}|${req.params.txn ?? ''}`;
    return {
      event_id: rooms.send(
        session.userId,
        req.params.room ?? '',
        req.params.type ?? '',
        content(req),
        txnKey,
      ).event_id,
    };
  });

  const putState = (req: Request): unknown => ({
    event_id: rooms.setState(
      user(req),
      req.params.room ?? '',
      req.params.type ?? '',
      req.params.key ?? '',
      content(req),
    ).event_id,
  });
  router.on('PUT', `${C}/rooms/:room/state/:type`, putState);
  router.on('PUT', `${C}/rooms/:room/state/:type/`, putState);
  router.on('PUT', `${C}/rooms/:room/state/:type/:key`, putState);

  const getState = (req: Request): unknown => {
    const roomId = req.params.room ?? '';
    rooms.requireJoined(user(req), roomId);
    const event = rooms.store.state(roomId, req.params.type ?? '', req.params.key ?? '');
    if (!event)
      throw new MatrixError(
        404,
        'M_NOT_FOUND',
        `no ${req.params.type ?? ''} state with key ${JSON.stringify(req.params.key ?? '')}`,
      );
    return event.content;
  };
  router.on('GET', `${C}/rooms/:room/state/:type`, getState);
  router.on('GET', `${C}/rooms/:room/state/:type/`, getState);
  router.on('GET', `${C}/rooms/:room/state/:type/:key`, getState);
  router.on('GET', `${C}/rooms/:room/state`, (req) => {
    const roomId = req.params.room ?? '';
    rooms.requireJoined(user(req), roomId);
    return rooms.store.allState(roomId).map((e) => clientEvent(e));
  });

  router.on('GET', `${C}/rooms/:room/messages`, (req) => {
    const roomId = req.params.room ?? '';
    const viewer = accounts.authenticate(req.token);
    rooms.requireJoined(viewer.userId, roomId);
    const dir = req.query.get('dir') ?? 'b';
    if (dir !== 'b' && dir !== 'f')
      throw new MatrixError(
        400,
        'M_INVALID_PARAM',
        `expected dir b or f, got ${JSON.stringify(dir)}`,
      );
    const limit = Math.min(Math.max(Number(req.query.get('limit') ?? 10) || 10, 1), 1000);
    const fromText = req.query.get('from');
    const from = fromText ? parseStreamToken(fromText) : dir === 'b' ? rooms.store.head() + 1 : 0;
    const chunk =
      dir === 'b'
        ? rooms.store.eventsBefore(roomId, from, limit)
        : rooms.store.eventsBetween(roomId, from, Number.MAX_SAFE_INTEGER, limit);
    const last = chunk.at(-1);
    // Paging backwards, `end` is exclusive; forwards, the next page starts after the last event.
    // Spec: `end` is omitted when no further events are available, e.g. at the room's start.
    const more =
      last !== undefined &&
      (dir === 'f' || rooms.store.eventsBefore(roomId, last.stream, 1).length > 0);
    return {
      chunk: chunk.map((e) => clientEvent(e, viewer)),
      start: streamToken(from),
      ...(more ? { end: streamToken(last.stream) } : {}),
    };
  });

  router.on('GET', `${C}/rooms/:room/members`, (req) => {
    const roomId = req.params.room ?? '';
    rooms.requireJoined(user(req), roomId);
    return {
      chunk: rooms.store
        .allState(roomId)
        .filter((e) => e.type === 'm.room.member')
        .map((e) => clientEvent(e)),
    };
  });
  router.on('GET', `${C}/rooms/:room/joined_members`, (req) => {
    const roomId = req.params.room ?? '';
    rooms.requireJoined(user(req), roomId);
    const joined = rooms.store
      .allState(roomId)
      .filter((e) => e.type === 'm.room.member' && e.content.membership === 'join');
    // Spec RoomMember: display_name and avatar_url, as the member event states them.
    const member = ({ displayname, avatar_url }: Record<string, unknown>): object => ({
      ...(typeof displayname === 'string' ? { display_name: displayname } : {}),
      ...(typeof avatar_url === 'string' ? { avatar_url } : {}),
    });
    return {
      joined: Object.fromEntries(
        joined.map((e): [string, object] => [e.state_key ?? '', member(e.content)]),
      ),
    };
  });
  router.on('GET', `${C}/joined_rooms`, (req) => ({
    joined_rooms: rooms.store.roomsOf(user(req), ['join']),
  }));

  directoryRoutes(router, accounts, rooms);
}
