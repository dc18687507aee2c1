/**
 * The composition root: the one place that turns a stored profile into a concrete, connected
 * transport. Command actions load this file lazily, and it loads the XMPP or Matrix transport
 * (xmpp.js, matrix-js-sdk) lazily in turn, so `--help` and `profiles` never pay for the SDK.
 * Only the session host (`daemon run`) and `login` call openTransport; every other command
 * goes through the profile's host (withProfileTransport).
 */
import { resolvePaths } from '../config/paths.ts';
import type { Profile } from '../config/profile.ts';
import { ProfileStore } from '../config/profiles.ts';
import { matrixStoreDir } from '../config/matrix-account.ts';
import { toTransportOptions } from '../config/xmpp-account.ts';
import { UsageError } from '../errors.ts';
import type { Transport } from '../transport/transport.ts';
import type { CliContext } from './context.ts';
import { openSession } from './session-start.ts';

/** How long one connection attempt may take before it fails with exit code 5. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Matrix connects do more (crypto store, initial sync): a longer first-connection budget. */
export const MATRIX_CONNECT_TIMEOUT_MS = 30_000;

/** The profile store of this user (config dir per paths.ts). */
export function openProfileStore(): ProfileStore {
  return new ProfileStore(resolvePaths());
}

/** Build the transport for a profile and connect it; on failure nothing is left open. */
export async function openTransport(
  profile: Profile,
  secret: string,
  context: CliContext,
): Promise<Transport> {
  const { output } = context;
  const log = (level: 'debug' | 'info' | 'warn', message: string): void => {
    if (level === 'warn') output.warn(message);
    else output.debug(message);
  };
  let transport: Transport;
  if (profile.network === 'matrix') {
    const { createMatrixTransport } = await import('../transport/matrix/index.ts');
    const { account } = profile;
    transport = createMatrixTransport({
      homeserver: account.homeserver,
      userId: account.userId,
      deviceId: account.deviceId,
      accessToken: secret,
      storeDir: matrixStoreDir(resolvePaths().data, profile.name, account.deviceId),
      connectTimeoutMs: MATRIX_CONNECT_TIMEOUT_MS,
      log,
    });
  } else {
    const { createXmppTransport } = await import('../transport/xmpp/index.ts');
    transport = createXmppTransport({
      ...toTransportOptions(profile, secret),
      software: { name: 'mx-agent', version: context.version },
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      trace: output.options.verbose > 1,
      log,
    });
  }
  output.debug(`connecting profile "${profile.name}"`);
  try {
    await transport.connect({
      signal: context.signal,
      timeoutMs: profile.network === 'matrix' ? MATRIX_CONNECT_TIMEOUT_MS : CONNECT_TIMEOUT_MS,
    });
  } catch (error) {
    await transport.close();
    throw error;
  }
  return transport;
}

/**
 * Run `work` with the selected profile (--profile, else the default) connected through its
 * session host — started in the background when none runs — and close this command's link to
 * it afterwards whatever happens (the host stays up for other commands).
 */
export async function withProfileTransport<T>(
  context: CliContext,
  work: (transport: Transport, profile: Profile) => Promise<T>,
): Promise<T> {
  const store = openProfileStore();
  const profile = store.get(context.profile);
  const transport = await openSession(profile, context);
  try {
    return await work(transport, profile);
  } finally {
    await transport.close();
  }
}

/**
 * Run `work` on the selected profile's own connection in this process, for operations on the
 * device's keys (verification, key backup) that only the one process holding the store may do:
 * the profile's session host is stopped first, and the next command starts it again.
 */
export async function withDeviceKeys<T>(
  context: CliContext,
  work: (transport: Transport, profile: Profile) => Promise<T>,
): Promise<T> {
  const store = openProfileStore();
  const profile = store.get(context.profile);
  if (profile.network !== 'matrix') {
    throw new UsageError(
      `profile "${profile.name}" is an XMPP account; device keys, verification and key backup are Matrix features`,
    );
  }
  const { STOP_TIMEOUT_MS, stopHost } = await import('../session/control.ts');
  const { sessionFiles } = await import('../session/files.ts');
  if (
    (await stopHost(sessionFiles(profile.name, resolvePaths()), { timeoutMs: STOP_TIMEOUT_MS })) !==
    undefined
  ) {
    context.output.info(
      `stopped the session host of "${profile.name}" to use the device's keys here`,
    );
  }
  const transport = await openTransport(profile, store.readSecret(profile.name), context);
  try {
    return await work(transport, profile);
  } finally {
    await transport.close();
  }
}
