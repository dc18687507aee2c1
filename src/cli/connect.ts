/**
 * The composition root: the one place that turns a stored profile into a concrete, connected
 * transport. Command actions load this file lazily, and it loads the XMPP transport (xmpp.js)
 * lazily in turn, so `--help` and `profiles` never pay for the SDK.
 */
import { resolvePaths } from '../config/paths.ts';
import type { Profile } from '../config/profile.ts';
import { ProfileStore } from '../config/profiles.ts';
import { toTransportOptions } from '../config/xmpp-account.ts';
import type { Transport } from '../transport/transport.ts';
import type { CliContext } from './context.ts';

/** How long one connection attempt may take before it fails with exit code 5. */
export const CONNECT_TIMEOUT_MS = 10_000;

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
  const { createXmppTransport } = await import('../transport/xmpp/index.ts');
  const transport = createXmppTransport({
    ...toTransportOptions(profile, secret),
    software: { name: 'mx-agent', version: context.version },
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    trace: output.options.verbose > 1,
    log: (level, message) => {
      if (level === 'warn') output.warn(message);
      else output.debug(message);
    },
  });
  output.debug(`connecting profile "${profile.name}"`);
  try {
    await transport.connect({ signal: context.signal, timeoutMs: CONNECT_TIMEOUT_MS });
  } catch (error) {
    await transport.close();
    throw error;
  }
  return transport;
}

/**
 * Run `work` with the selected profile (--profile, else the default) connected, and close the
 * transport afterwards whatever happens.
 */
export async function withProfileTransport<T>(
  context: CliContext,
  work: (transport: Transport, profile: Profile) => Promise<T>,
): Promise<T> {
  const store = openProfileStore();
  const profile = store.get(context.profile);
  const transport = await openTransport(profile, store.readSecret(profile.name), context);
  try {
    return await work(transport, profile);
  } finally {
    await transport.close();
  }
}
