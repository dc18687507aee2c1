/**
 * The rest of what clients call at start-up or in passing (v1.11): profiles, the user
 * directory, devices, push rules, typing, receipts and read markers. Typing and receipts are
 * accepted but not relayed: nothing in mx-agent depends on them.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Accounts } from './accounts.ts';
import { MatrixError, badJson, forbidden } from './matrix-error.ts';
import type { Profile, ProfileField, Profiles } from './profiles.ts';
import type { Rooms } from './rooms.ts';
import type { Request, Router } from './router.ts';

const C = '/_matrix/client/v3';

interface ProfileRow {
  displayname: string | null;
  avatar_url: string | null;
}

/** Register profile, directory, device and no-op ephemeral routes. */
export function miscRoutes(
  router: Router,
  db: DatabaseSync,
  accounts: Accounts,
  rooms: Rooms,
  profiles: Profiles,
): void {
  const profile = (userId: string): Profile => {
    if (!accounts.exists(userId)) throw new MatrixError(404, 'M_NOT_FOUND', `no user ${userId}`);
    return profiles.get(userId);
  };
  const setField = (req: Request, field: ProfileField): Record<string, never> => {
    const { userId } = accounts.authenticate(req.token);
    if (req.params.user !== userId)
      throw forbidden(`cannot change the profile of ${req.params.user ?? ''}`);
    const value = req.body[field];
    if (value !== null && typeof value !== 'string')
      throw badJson(`expected ${field} to be a string`);
    profiles.set(userId, field, value);
    rooms.profileChanged(userId);
    return {};
  };
  router.on('GET', `${C}/profile/:user`, (req) => profile(req.params.user ?? ''));
  for (const field of ['displayname', 'avatar_url'] as const) {
    router.on('GET', `${C}/profile/:user/${field}`, (req) => {
      const value = profile(req.params.user ?? '')[field];
      if (value === undefined) throw new MatrixError(404, 'M_NOT_FOUND', `no ${field} set`);
      return { [field]: value };
    });
    router.on('PUT', `${C}/profile/:user/${field}`, (req) => setField(req, field));
  }

  // Spec: the server chooses whom to show; a development server shows every local user.
  router.on('POST', `${C}/user_directory/search`, (req) => {
    accounts.authenticate(req.token);
    const term = typeof req.body.search_term === 'string' ? req.body.search_term.toLowerCase() : '';
    const limit = typeof req.body.limit === 'number' && req.body.limit > 0 ? req.body.limit : 10;
    const rows = db
      .prepare(
        'SELECT u.user_id, p.displayname, p.avatar_url FROM users u LEFT JOIN profiles p ON p.user_id = u.user_id ORDER BY u.user_id',
      )
      .all() as unknown as (ProfileRow & { user_id: string })[];
    const hits = rows.filter(
      (r) =>
        r.user_id.toLowerCase().includes(term) ||
        (r.displayname ?? '').toLowerCase().includes(term),
    );
    return {
      results: hits.slice(0, limit).map((r) => ({
        user_id: r.user_id,
        ...(r.displayname ? { display_name: r.displayname } : {}),
        ...(r.avatar_url ? { avatar_url: r.avatar_url } : {}),
      })),
      limited: hits.length > limit,
    };
  });

  router.on('GET', `${C}/devices`, (req) => {
    const { userId } = accounts.authenticate(req.token);
    const rows = db
      .prepare('SELECT device_id, display_name FROM devices WHERE user_id = ? ORDER BY device_id')
      .all(userId) as unknown as { device_id: string; display_name: string | null }[];
    return {
      devices: rows.map((r) => ({
        device_id: r.device_id,
        ...(r.display_name ? { display_name: r.display_name } : {}),
      })),
    };
  });

  router.on('GET', `${C}/pushrules/`, (req) => {
    accounts.authenticate(req.token);
    return { global: { override: [], content: [], room: [], sender: [], underride: [] } };
  });
  router.on('GET', `${C}/voip/turnServer`, (req) => {
    accounts.authenticate(req.token);
    return {};
  });
  router.on('GET', `${C}/account/3pid`, (req) => {
    accounts.authenticate(req.token);
    return { threepids: [] };
  });

  const accepted = (req: Request): Record<string, never> => {
    rooms.requireJoined(accounts.authenticate(req.token).userId, req.params.room ?? '');
    return {};
  };
  router.on('PUT', `${C}/rooms/:room/typing/:user`, accepted);
  router.on('POST', `${C}/rooms/:room/receipt/:type/:event`, accepted);
  router.on('POST', `${C}/rooms/:room/read_markers`, accepted);
}
