import { accountId, type Profile } from '../../config/profile.ts';
import { accountHost } from '../../config/xmpp-account.ts';
import { openProfileStore, withProfileTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';

/** What `whoami` reports (the --json form). */
export interface WhoamiReport {
  readonly profile: string;
  readonly default: boolean;
  readonly network: Profile['network'];
  readonly mode: Profile['account']['mode'];
  readonly account: string;
  readonly server: string;
  /** The address bound by the server, with --check. */
  readonly address?: string;
}

/** Describe the selected profile; with `check`, connect to prove it works. */
export async function whoami(check: boolean, context: CliContext): Promise<void> {
  const store = openProfileStore();
  const profile = store.get(context.profile);
  // --check goes through the session host like any command: one connection per profile.
  const address = check
    ? await withProfileTransport(context, (transport) => Promise.resolve(transport.address))
    : undefined;
  const report = describeProfile(profile, store.defaultName() === profile.name, address);
  context.output.result(report, (r) =>
    [
      `profile:  ${r.profile}${r.default ? ' (default)' : ''}`,
      `network:  ${r.network}`,
      `account:  ${r.account}${r.mode === 'component' ? ' (component)' : ''}`,
      `server:   ${r.server}`,
      ...(r.address === undefined ? [] : [`online:   ${r.address}`]),
    ].join('\n'),
  );
}

/** The report for one profile; never includes its secret. */
export function describeProfile(
  profile: Profile,
  isDefault: boolean,
  address?: string,
): WhoamiReport {
  const { account } = profile;
  let server: string;
  if (account.mode === 'matrix') {
    server = `${account.homeserver} (device ${account.deviceId}, end-to-end encrypted)`;
  } else {
    const port = account.port === undefined ? '' : `:${String(account.port)}`;
    server =
      account.mode === 'component'
        ? `${account.host}${port} (XEP-0114, no TLS)`
        : `${accountHost(account)}${port} (tls ${account.tls}${account.tlsInsecure === true ? ', certificate not checked' : ''})`;
  }
  return {
    profile: profile.name,
    default: isDefault,
    network: profile.network,
    mode: account.mode,
    account: accountId(profile),
    server,
    ...(address === undefined ? {} : { address }),
  };
}
