/** Talk to the dev homeserver as a client would, for its integration tests. */
import assert from 'node:assert/strict';
import type { Homeserver } from '../../src/devserver/homeserver.ts';

/** One Client-Server API response. */
export interface ApiResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One Client-Server API call; `body` given as a string is sent as is (for malformed JSON). */
export async function call(
  hs: Pick<Homeserver, 'url'>,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<ApiResponse> {
  const response = await fetch(`${hs.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Register through user-interactive auth; returns user_id, device_id, access_token. */
export async function register(
  hs: Pick<Homeserver, 'url'>,
  username: string,
  password = `${username}-pw`,
): Promise<{ userId: string; token: string }> {
  const first = await call(hs, 'POST', '/_matrix/client/v3/register', { username, password });
  assert.equal(first.status, 401);
  const done = await call(hs, 'POST', '/_matrix/client/v3/register', {
    username,
    password,
    auth: { type: 'm.login.dummy', session: first.body.session },
  });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  return { userId: String(done.body.user_id), token: String(done.body.access_token) };
}
