import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent logout [NAME]`: forget a profile and its secret. */
export function logoutCommand(context: ContextSource): Command {
  return new Command('logout')
    .description('remove a stored account and its secret from this machine')
    .argument('[name]', 'profile to remove (default: --profile, else the default profile)')
    .option('--yes', 'do not ask before deleting a Matrix device and its keys')
    .addHelpText(
      'after',
      `
The profile's session host, if one runs, is stopped first. A Matrix profile's
device is also logged out on the homeserver and its keys deleted from this
machine; as messages only that device could decrypt become unreadable here,
this is confirmed first (or --yes; without a terminal --yes is required).

Examples:
  $ mx-agent logout
  $ mx-agent logout alice@example.org`,
    )
    .action(async (name: string | undefined, values: Record<string, unknown>) => {
      const { logout } = await import('./logout-action.ts');
      await logout(name, values.yes === true, context());
    });
}
