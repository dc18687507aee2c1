/**
 * `mx-agent login matrix`: log a new device in (password or an existing access token), let the
 * transport create the device's crypto store and publish its keys, and only then store the
 * profile. A login that fails half-way logs the new device out again, so no stray devices stay.
 */
import { hostname } from 'node:os';
import type { OptionValues } from 'commander';
import {
  matrixStoreDir,
  parseHomeserverUrl,
  parseMatrixUserId,
  wipeMatrixStore,
} from '../../config/matrix-account.ts';
import { STOP_TIMEOUT_MS, stopHost } from '../../session/control.ts';
import { sessionFiles } from '../../session/files.ts';
import { resolvePaths } from '../../config/paths.ts';
import { parseProfileName, type Profile } from '../../config/profile.ts';
import { AuthError, NetworkError, UsageError, messageOf, quote } from '../../errors.ts';
import { openProfileStore, openTransport } from '../connect.ts';
import type { Transport } from '../../transport/transport.ts';
import type { CliContext } from '../context.ts';
import { flagOption, stringOption } from '../option-values.ts';
import { promptSecret, readSecretFromStdin } from '../prompt.ts';

/** A validated `login matrix`. */
export interface MatrixLoginRequest {
  readonly homeserver: string;
  readonly userId: string;
  readonly profileName: string;
  readonly secret: 'prompt' | 'password-stdin' | 'token-stdin';
  readonly makeDefault: boolean;
}

/** Validate the options before anything is prompted for or sent. */
export function parseMatrixLogin(
  values: OptionValues,
  profile: string | undefined,
): MatrixLoginRequest {
  const homeserver = stringOption(values, 'homeserver');
  const user = stringOption(values, 'user');
  if (homeserver === undefined) {
    throw new UsageError('expected --homeserver https://matrix.example.org');
  }
  if (user === undefined) throw new UsageError('expected --user @alice:example.org');
  const userId = parseMatrixUserId(user);
  const passwordStdin = flagOption(values, 'passwordStdin');
  const tokenStdin = flagOption(values, 'tokenStdin');
  if (passwordStdin && tokenStdin) {
    throw new UsageError('give either --password-stdin or --token-stdin, not both');
  }
  const [local, server] = [
    userId.slice(1, userId.indexOf(':')),
    userId.slice(userId.indexOf(':') + 1),
  ];
  return {
    homeserver: parseHomeserverUrl(homeserver),
    userId,
    profileName: parseProfileName(profile ?? `${local}@${server.replace(/:/g, '_')}`),
    secret: tokenStdin ? 'token-stdin' : passwordStdin ? 'password-stdin' : 'prompt',
    makeDefault: flagOption(values, 'makeDefault'),
  };
}

interface Session {
  readonly accessToken: string;
  readonly deviceId: string;
}

async function api(
  homeserver: string,
  method: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(`${homeserver}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
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

async function passwordLogin(request: MatrixLoginRequest, password: string): Promise<Session> {
  const { status, body } = await api(request.homeserver, 'POST', '/_matrix/client/v3/login', {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: request.userId },
    password,
    initial_device_display_name: `mx-agent on ${hostname()}`,
  });
  if (status === 403 || status === 401) {
    throw new AuthError(`the homeserver refused the password of ${request.userId}`);
  }
  if (status === 429) {
    throw new NetworkError(
      `the homeserver is rate-limiting logins; try again in ${String(Math.ceil(Number(body.retry_after_ms ?? 1000) / 1000))} s`,
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
  if (body.user_id !== request.userId) {
    throw new AuthError(`the homeserver logged in ${quote(body.user_id)}, not ${request.userId}`);
  }
  return { accessToken: body.access_token, deviceId: body.device_id };
}

async function tokenLogin(request: MatrixLoginRequest, token: string): Promise<Session> {
  const { status, body } = await api(
    request.homeserver,
    'GET',
    '/_matrix/client/v3/account/whoami',
    undefined,
    token,
  );
  if (status === 401 || status === 403)
    throw new AuthError('the homeserver refused the access token');
  if (status !== 200 || typeof body.device_id !== 'string') {
    throw new NetworkError(
      `the homeserver answered whoami with ${String(status)} ${quote(body.errcode ?? '')}; a device-bound access token is needed`,
    );
  }
  if (body.user_id !== request.userId) {
    throw new AuthError(
      `the access token belongs to ${quote(body.user_id)}, not ${request.userId}`,
    );
  }
  return { accessToken: token, deviceId: body.device_id };
}

/** Log the device out on the server (best effort; used when a login cannot be completed). */
export async function serverLogout(homeserver: string, token: string): Promise<boolean> {
  try {
    const { status } = await api(homeserver, 'POST', '/_matrix/client/v3/logout', {}, token);
    return status === 200 || status === 401;
  } catch {
    return false;
  }
}

/**
 * Give the account cross-signing keys if it has none (the homeserver asks for the password
 * through user-interactive auth), so this device is signed by its owner and peers who verified
 * the owner trust it. Failure is reported, not fatal: the device works without it.
 */
async function setUpCrossSigning(
  transport: Transport,
  password: string | undefined,
  context: CliContext,
): Promise<string> {
  const { matrixTrust } = await import('../../transport/matrix/index.ts');
  try {
    return (await matrixTrust(transport).bootstrapCrossSigning(password)) === 'created'
      ? 'created'
      : 'already set up';
  } catch (error) {
    context.output.warn(`cross-signing not set up: ${messageOf(error)}`);
    return 'not set up';
  }
}

/** The action of `login matrix`. */
export async function loginMatrix(values: OptionValues, context: CliContext): Promise<void> {
  const { output } = context;
  const request = parseMatrixLogin(values, context.profile);
  const store = openProfileStore();
  const existing = store.list().find((p) => p.name === request.profileName);
  if (existing && existing.network !== 'matrix') {
    throw new UsageError(
      `profile "${request.profileName}" is an XMPP account; choose another name with --profile`,
    );
  }
  const secret =
    request.secret === 'prompt'
      ? await promptSecret(
          { question: `password for ${request.userId}`, stdinFlag: '--password-stdin' },
          output.stdio,
        )
      : await readSecretFromStdin(
          request.secret === 'token-stdin' ? 'access token' : 'password',
          output.stdio,
        );
  const session =
    request.secret === 'token-stdin'
      ? await tokenLogin(request, secret)
      : await passwordLogin(request, secret);
  const profile: Profile = {
    name: request.profileName,
    network: 'matrix',
    account: {
      mode: 'matrix',
      homeserver: request.homeserver,
      userId: request.userId,
      deviceId: session.deviceId,
    },
    createdAt: new Date().toISOString(),
  };
  let crossSigning: string;
  try {
    // Creates the device's crypto store and publishes its keys; proves the token syncs.
    const transport = await openTransport(profile, session.accessToken, context);
    try {
      crossSigning = await setUpCrossSigning(
        transport,
        request.secret === 'token-stdin' ? undefined : secret,
        context,
      );
    } finally {
      await transport.close();
    }
  } catch (error) {
    if (request.secret !== 'token-stdin')
      await serverLogout(request.homeserver, session.accessToken);
    await wipeMatrixStore(matrixStoreDir(resolvePaths().data, profile.name, session.deviceId));
    throw error;
  }
  if (existing) {
    // The running host holds the old device: stop it, then retire that device.
    await stopHost(sessionFiles(profile.name, resolvePaths()), { timeoutMs: STOP_TIMEOUT_MS });
    if (existing.account.deviceId !== session.deviceId) {
      await serverLogout(existing.account.homeserver, store.readSecret(existing.name));
      await wipeMatrixStore(
        matrixStoreDir(resolvePaths().data, existing.name, existing.account.deviceId),
      );
    }
  }
  const { isDefault } = store.save(profile, session.accessToken, {
    makeDefault: request.makeDefault,
  });
  output.result(
    {
      profile: profile.name,
      network: profile.network,
      account: request.userId,
      address: request.userId,
      device: session.deviceId,
      crossSigning,
      default: isDefault,
    },
    (r) =>
      `logged in as ${r.address}, device ${r.device} (profile "${r.profile}"${r.default ? ', default' : ''}${existing ? ', replacing the stored one' : ''})`,
  );
}
