import { Command } from 'commander';
import { accountId } from '../../config/profile.ts';
import type { ContextSource } from '../context.ts';

/** `mx-agent profiles [default NAME]`: list the stored accounts, choose the default. */
export function profilesCommand(context: ContextSource): Command {
  const profiles = new Command('profiles')
    .description('list stored accounts (profiles)')
    .addHelpText('after', '\nExamples:\n  $ mx-agent profiles\n  $ mx-agent profiles default work')
    .action(async () => {
      const ctx = context();
      const { loadProfiles } = await import('../connect.ts');
      const store = await loadProfiles();
      const defaultName = store.defaultName();
      const rows = store
        .list()
        .map((p) => ({
          name: p.name,
          network: p.network,
          account: accountId(p),
          kind: p.account.mode,
          default: p.name === defaultName,
        }));
      ctx.output.result(rows, (list) =>
        list.length === 0
          ? 'no profiles yet: mx-agent login xmpp --jid alice@example.org'
          : list
              .map(
                (r) =>
                  `${r.default ? '*' : ' '} ${r.name.padEnd(28)} ${r.network.padEnd(6)} ${r.account}${r.kind === 'component' ? ' (component)' : ''}`,
              )
              .join('\n'),
      );
    });
  profiles
    .command('default')
    .description('make a profile the default')
    .argument('<name>', 'profile name')
    .addHelpText('after', '\nExample:\n  $ mx-agent profiles default alice@example.org')
    .action(async (name: string) => {
      const ctx = context();
      const { loadProfiles } = await import('../connect.ts');
      (await loadProfiles()).setDefault(name);
      ctx.output.result({ default: name }, () => `default profile: ${name}`);
    });
  return profiles;
}
