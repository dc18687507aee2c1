import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent logout [NAME]`: forget a profile and its secret. */
export function logoutCommand(context: ContextSource): Command {
  return new Command('logout')
    .description('remove a stored account and its secret from this machine')
    .argument('[name]', 'profile to remove (default: --profile, else the default profile)')
    .addHelpText('after', '\nExamples:\n  $ mx-agent logout\n  $ mx-agent logout alice@example.org')
    .action(async (name: string | undefined) => {
      const { logout } = await import('./logout-action.ts');
      logout(name, context());
    });
}
