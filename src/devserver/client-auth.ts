/**
 * Account endpoints of the Client-Server API (v1.11): versions, capabilities, register (with
 * UIA), login (password), whoami, logout. Paths are the `/v3` ones; errors use the spec's codes.
 */
import type { Accounts } from './accounts.ts';
import { MatrixError, badJson } from './matrix-error.ts';
import type { Profiles } from './profiles.ts';
import type { Request, Router } from './router.ts';
import type { InteractiveAuth } from './uia.ts';

const C = '/_matrix/client/v3';

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badJson(`expected "${key}" to be a string`);
  return value;
}

function requiredString(body: Record<string, unknown>, key: string): string {
  const value = optionalString(body, key);
  if (value === undefined) throw new MatrixError(400, 'M_MISSING_PARAM', `missing "${key}"`);
  return value;
}

/** Register the account routes. */
export function accountRoutes(
  router: Router,
  accounts: Accounts,
  uia: InteractiveAuth,
  profiles: Profiles,
  serverName: string,
): void {
  router.on('GET', '/_matrix/client/versions', () => ({
    // r0.6.1: the legacy paths are served too (legacy-paths.ts).
    versions: [
      'r0.6.1',
      'v1.1',
      'v1.2',
      'v1.3',
      'v1.4',
      'v1.5',
      'v1.6',
      'v1.7',
      'v1.8',
      'v1.9',
      'v1.10',
      'v1.11',
    ],
    unstable_features: {},
  }));

  router.on('GET', `${C}/capabilities`, (req) => {
    accounts.authenticate(req.token);
    return {
      capabilities: {
        'm.change_password': { enabled: false },
        'm.room_versions': { default: '10', available: { '10': 'stable' } },
      },
    };
  });

  router.on('GET', `${C}/register/available`, (req) => {
    const userId = accounts.userIdFor(req.query.get('username') ?? '');
    if (accounts.exists(userId))
      throw new MatrixError(400, 'M_USER_IN_USE', `${userId} is already taken`);
    return { available: true };
  });

  router.on('POST', `${C}/register`, (req) => {
    if ((req.query.get('kind') ?? 'user') !== 'user') {
      throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'guest accounts are not available');
    }
    const username = optionalString(req.body, 'username') ?? `user${String(Date.now())}`;
    const userId = accounts.userIdFor(username);
    const password = requiredString(req.body, 'password');
    // Synapse checks the name before starting UIA, so clients learn early that it is taken.
    if (accounts.exists(userId))
      throw new MatrixError(400, 'M_USER_IN_USE', `${userId} is already taken`);
    uia.require(req.body);
    accounts.create(userId, password);
    // As Synapse and Conduit do: a new account is named by its localpart until it picks a name,
    // so member lists (GET /joined_members, m.room.member) can show a name for everyone.
    profiles.set(userId, 'displayname', userId.slice(1, userId.indexOf(':')));
    if (req.body.inhibit_login === true) return { user_id: userId };
    return login(accounts, userId, req, serverName);
  });

  router.on('GET', `${C}/login`, () => ({ flows: [{ type: 'm.login.password' }] }));

  router.on('POST', `${C}/login`, (req) => {
    if (req.body.type !== 'm.login.password') {
      throw new MatrixError(
        400,
        'M_UNKNOWN',
        `expected login type m.login.password, got ${JSON.stringify(req.body.type)}`,
      );
    }
    const userId = loginUser(req.body, accounts, serverName);
    accounts.checkPassword(userId, requiredString(req.body, 'password'));
    return login(accounts, userId, req, serverName);
  });

  router.on('GET', `${C}/account/whoami`, (req) => {
    const session = accounts.authenticate(req.token);
    return { user_id: session.userId, device_id: session.deviceId, is_guest: false };
  });

  router.on('POST', `${C}/logout`, (req) => {
    accounts.closeSession(accounts.authenticate(req.token));
    return {};
  });

  router.on('POST', `${C}/logout/all`, (req) => {
    accounts.closeAllSessions(accounts.authenticate(req.token).userId);
    return {};
  });
}

/** The user a login names: `identifier: { type: 'm.id.user', user }` or the deprecated `user`. */
function loginUser(body: Record<string, unknown>, accounts: Accounts, serverName: string): string {
  const identifier = body.identifier as { type?: unknown; user?: unknown } | undefined;
  const user = identifier ? identifier.user : body.user;
  if (identifier && identifier.type !== 'm.id.user') {
    throw new MatrixError(
      400,
      'M_UNKNOWN',
      `expected identifier type m.id.user, got ${JSON.stringify(identifier.type)}`,
    );
  }
  if (typeof user !== 'string' || user === '')
    throw new MatrixError(400, 'M_MISSING_PARAM', 'missing the user to log in');
  if (user.startsWith('@')) {
    if (!user.endsWith(`:${serverName}`))
      throw new MatrixError(403, 'M_FORBIDDEN', `${user} is not a user of ${serverName}`);
    return accounts.userIdFor(user.slice(1, -(serverName.length + 1)));
  }
  return accounts.userIdFor(user);
}

function login(
  accounts: Accounts,
  userId: string,
  req: Request,
  serverName: string,
): Record<string, unknown> {
  const session = accounts.openSession(
    userId,
    optionalString(req.body, 'device_id'),
    optionalString(req.body, 'initial_device_display_name'),
  );
  return {
    user_id: session.userId,
    device_id: session.deviceId,
    access_token: session.accessToken,
    home_server: serverName,
  };
}
