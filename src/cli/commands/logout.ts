import { Command } from 'commander';
import { accountId } from '../../config/profile.ts';
import type { ContextSource } from '../context.ts';

/** `mx-agent logout [NAME]`: forget a profile and its secret. */
export function logoutCommand(context: ContextSource): Command {
  return new Command('logout')
    .description('remove a stored account and its secret')
    .argument('[name]', 'profile to remove (default: --profile, else the default profile)')
    .addHelpText('after', '\nExamples:\n  $ mx-agent logout\n  $ mx-agent logout alice@example.org')
    .action(async (name: string | undefined) => {
      const ctx = context();
      const { loadProfiles } = await import('../connect.ts');
      const store = await loadProfiles();
      const removed = store.remove(name ?? ctx.profile ?? store.get().name);
      ctx.output.result(
        { removed: removed.name, account: accountId(removed) },
        (r) => `removed profile "${r.removed}" (${r.account})`,
      );
    });
}
