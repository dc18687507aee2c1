import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent whoami [--check]`: which account the selected profile is. */
export function whoamiCommand(context: ContextSource): Command {
  return new Command('whoami')
    .description('show the account of the selected profile')
    .option('--check', 'connect to verify the account still works, and show the bound address')
    .addHelpText(
      'after',
      `
Without --check nothing is sent over the network.

Examples:
  $ mx-agent whoami
  $ mx-agent --profile work --json whoami --check`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { whoami } = await import('./whoami-action.ts');
      await whoami(values.check === true, context());
    });
}
