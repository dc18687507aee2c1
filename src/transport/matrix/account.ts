/**
 * Matrix account operations that come before (or after) a device's transport: password login,
 * checking an access token, and logging a device out. Plain Client-Server API calls; the CLI
 * reaches them through index.ts, never the HTTP paths itself.
 */
import { AuthError, NetworkError, messageOf, quote } from '../../errors.ts';

/** A logged-in device. */
export interface MatrixSession {
  readonly accessToken: string;
  readonly deviceId: string;
}

const TIMEOUT_MS = 15_000;

async function api(
  homeserver: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; signal?: AbortSignal } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { body, token, signal } = options;
  let response: Response;
  try {
    response = await fetch(`${homeserver}/_matrix/client/v3${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: signal ?? AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new NetworkError(
      `cannot reach the Matrix homeserver ${homeserver}: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, body: json };
}

const errcodeOf = (body: Record<string, unknown>): string =>
  typeof body.errcode === 'string' ? body.errcode : '';

/** Log a new device in with a password (`m.login.password`). */
export async function passwordLogin(
  homeserver: string,
  userId: string,
  password: string,
  deviceName: string,
): Promise<MatrixSession> {
  const { status, body } = await api(homeserver, 'POST', '/login', {
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: userId },
      password,
      initial_device_display_name: deviceName,
    },
  });
  if (status === 403 || status === 401) {
    throw new AuthError(`the homeserver refused the password of ${userId}`);
  }
  if (status === 429) {
    const wait = typeof body.retry_after_ms === 'number' ? body.retry_after_ms : 1000;
    throw new NetworkError(
      `the homeserver is rate-limiting logins; try again in ${String(Math.ceil(wait / 1000))} s`,
    );
  }
  if (
    status !== 200 ||
    typeof body.access_token !== 'string' ||
    typeof body.device_id !== 'string'
  ) {
    throw new NetworkError(
      `the homeserver answered the login with ${String(status)} ${quote(body.errcode ?? body.error ?? '')}`,
    );
  }
  if (body.user_id !== userId) {
    throw new AuthError(`the homeserver logged in ${quote(body.user_id)}, not ${userId}`);
  }
  return { accessToken: body.access_token, deviceId: body.device_id };
}

/**
 * Check that an access token is `userId`'s (and `deviceId`'s, when given) and return its
 * device: AuthError when the server refuses it or it belongs to someone else.
 */
export async function whoami(
  homeserver: string,
  accessToken: string,
  expected: { userId: string; deviceId?: string },
  signal?: AbortSignal,
): Promise<MatrixSession> {
  const { status, body } = await api(homeserver, 'GET', '/account/whoami', {
    token: accessToken,
    ...(signal ? { signal } : {}),
  });
  if (status === 401 || status === 403) {
    throw new AuthError(
      `the homeserver ${homeserver} refused the access token of ${expected.userId} (${errcodeOf(body) || String(status)}); log in again`,
    );
  }
  if (status !== 200 || typeof body.device_id !== 'string') {
    throw new NetworkError(
      `the homeserver ${homeserver} answered whoami with ${String(status)} ${errcodeOf(body)}; a device-bound access token is needed`,
    );
  }
  if (
    body.user_id !== expected.userId ||
    (expected.deviceId && body.device_id !== expected.deviceId)
  ) {
    throw new AuthError(
      `the access token belongs to ${quote(body.user_id)} device ${quote(body.device_id)}, not ${expected.userId}${expected.deviceId ? ` device ${expected.deviceId}` : ''}; log in again`,
    );
  }
  return { accessToken, deviceId: body.device_id };
}

/** Log a device out on the server; true when it is (or already was) logged out. */
export async function logoutDevice(homeserver: string, accessToken: string): Promise<boolean> {
  try {
    const { status } = await api(homeserver, 'POST', '/logout', { body: {}, token: accessToken });
    return status === 200 || status === 401;
  } catch {
    return false;
  }
}
