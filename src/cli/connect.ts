/**
 * The composition root: the one place that turns a stored profile into a concrete transport.
 * Everything heavy (conf, xmpp.js) is imported here lazily, so `--help` never pays for it.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import type { Profile } from '../config/profile.ts';
import type { Profiles } from '../config/profiles.ts';
import { resolvePaths } from '../config/paths.ts';
import type { Transport } from '../transport/transport.ts';
import type { XmppTransportOptions } from '../transport/xmpp/options.ts';
import type { CliContext } from './context.ts';

/** Open the profile store of this user. */
export async function loadProfiles(): Promise<Profiles> {
  const { Profiles } = await import('../config/profiles.ts');
  return new Profiles(resolvePaths());
}

/** Transport options for an account and its secret. */
export function xmppOptions(
  account: Profile['account'],
  secret: string,
  context: CliContext,
): XmppTransportOptions {
  const common = {
    software: { name: 'mx-agent', version: context.version },
    trace: context.output.options.verbose > 1,
    log: (level: 'debug' | 'info' | 'warn', message: string) => {
      if (level === 'warn') context.output.warn(message);
      else context.output.debug(message);
    },
  };
  if (account.mode === 'component') return { ...account, secret, ...common };
  let ca: string | undefined;
  if (account.caFile) {
    try {
      ca = readFileSync(account.caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `cannot read the CA file ${account.caFile}: ${(error as Error).message}`,
      );
    }
  }
  const { caFile: _caFile, ...rest } = account;
  return { ...rest, password: secret, ...(ca ? { ca } : {}), ...common };
}

/** A transport for an account (not yet connected). */
export async function createTransport(options: XmppTransportOptions): Promise<Transport> {
  const { createXmppTransport } = await import('../transport/xmpp/index.ts');
  return createXmppTransport(options);
}

/** The selected profile, connected; the caller closes the transport. */
export async function openProfile(
  context: CliContext,
): Promise<{ profile: Profile; transport: Transport }> {
  const profiles = await loadProfiles();
  const profile = profiles.get(context.profile);
  const transport = await createTransport(
    xmppOptions(profile.account, profiles.secrets.read(profile.name), context),
  );
  context.output.debug(`connecting as ${profile.name}`);
  await transport.connect({ signal: context.signal });
  return { profile, transport };
}
