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
import { UsageError, messageOf } from '../../errors.ts';
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
  const account = await import('../../transport/matrix/index.ts');
  const session =
    request.secret === 'token-stdin'
      ? await account.whoami(request.homeserver, secret, request)
      : await account.passwordLogin(
          request.homeserver,
          request.userId,
          secret,
          `mx-agent on ${hostname()}`,
        );
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
      await account.logoutDevice(request.homeserver, session.accessToken);
    await wipeMatrixStore(matrixStoreDir(resolvePaths().data, profile.name, session.deviceId));
    throw error;
  }
  if (existing) {
    // The running host holds the old device: stop it, then retire that device.
    await stopHost(sessionFiles(profile.name, resolvePaths()), { timeoutMs: STOP_TIMEOUT_MS });
    if (existing.account.deviceId !== session.deviceId) {
      await account.logoutDevice(existing.account.homeserver, store.readSecret(existing.name));
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
