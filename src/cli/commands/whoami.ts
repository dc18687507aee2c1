import { Command } from 'commander';
import { accountId, type Profile } from '../../config/profile.ts';
import type { ContextSource } from '../context.ts';

/** `mx-agent whoami`: which account the selected profile is, optionally checked live. */
export function whoamiCommand(context: ContextSource): Command {
  return new Command('whoami')
    .description('show the account of the selected profile')
    .option('--check', 'connect to verify the account still works, and show the bound address')
    .addHelpText(
      'after',
      '\nExamples:\n  $ mx-agent whoami\n  $ mx-agent --profile work whoami --check --json',
    )
    .action(async (options: { check?: boolean }) => {
      const ctx = context();
      const { loadProfiles, openProfile } = await import('../connect.ts');
      const profiles = await loadProfiles();
      const profile = profiles.get(ctx.profile);
      let address: string | undefined;
      if (options.check) {
        const { transport } = await openProfile(ctx);
        address = transport.address;
        await transport.close();
      }
      ctx.output.result(describe(profile, profiles.defaultName() === profile.name, address), (d) =>
        [
          `profile:  ${d.profile}${d.default ? ' (default)' : ''}`,
          `network:  ${d.network}`,
          `account:  ${d.account}${d.kind === 'component' ? ' (component)' : ''}`,
          `server:   ${d.server}`,
          ...(d.address ? [`online:   ${d.address}`] : []),
        ].join('\n'),
      );
    });
}

function describe(profile: Profile, isDefault: boolean, address: string | undefined) {
  const { account } = profile;
  const server =
    account.mode === 'component'
      ? `${account.host}:${String(account.port)}`
      : `${account.host ?? account.jid.split('@')[1] ?? ''}${account.port ? `:${String(account.port)}` : ''} (tls ${account.tls}${account.tlsInsecure ? ', unverified' : ''})`;
  return {
    profile: profile.name,
    default: isDefault,
    network: profile.network,
    kind: account.mode,
    account: accountId(profile),
    server,
    ...(address ? { address } : {}),
  };
}
