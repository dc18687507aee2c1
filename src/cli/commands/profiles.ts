import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent profiles [default NAME]`: list the stored accounts, choose the default. */
export function profilesCommand(context: ContextSource): Command {
  const profiles = new Command('profiles')
    .description('list stored accounts (profiles); * marks the default')
    .addHelpText('after', '\nExamples:\n  $ mx-agent profiles\n  $ mx-agent profiles default work')
    .action(async () => {
      const { listProfiles } = await import('./profiles-action.ts');
      listProfiles(context());
    });
  profiles
    .command('default')
    .description('make a profile the default')
    .argument('<name>', 'profile name')
    .addHelpText('after', '\nExample:\n  $ mx-agent profiles default alice@example.org')
    .action(async (name: string) => {
      const { setDefaultProfile } = await import('./profiles-action.ts');
      setDefaultProfile(name, context());
    });
  return profiles;
}
