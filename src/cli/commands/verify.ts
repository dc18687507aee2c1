import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent verify [USER] [DEVICE]`: emoji (SAS) verification of a Matrix device. */
export function verifyCommand(context: ContextSource): Command {
  return new Command('verify')
    .description('verify a Matrix device by comparing emoji, then trust it')
    .argument('[user]', 'the Matrix user whose device to verify, e.g. @bob:example.org')
    .argument('[device]', 'which of their devices (needed when they have several)')
    .option('--incoming', 'wait for a verification request (from USER, if given) and answer it')
    .option('--list', "list USER's devices (default: your own) and whether each is verified")
    .option('--timeout <seconds>', 'give up after this long (default 300)')
    .addHelpText(
      'after',
      `
Both sides see seven emoji; if they are the same on both screens, nobody is in
the middle and each side then trusts the other's device. Answer the question
with y only after comparing them with the other person (in a call, or face to
face). The answer is read from stdin, so a script can answer too. Start the
side that answers (--incoming) first, then the side that asks.

Verification uses the device's keys, which only one process may hold: the
profile's session host is stopped first and comes back with the next command.

Examples:
  $ mx-agent verify @bob:example.org
  $ mx-agent verify @bob:example.org BOBLAPTOP
  $ mx-agent verify --incoming
  $ mx-agent --json verify --list @bob:example.org`,
    )
    .action(
      async (
        user: string | undefined,
        device: string | undefined,
        values: Record<string, unknown>,
      ) => {
        const { verify } = await import('./verify-action.ts');
        await verify(user, device, values, context());
      },
    );
}
