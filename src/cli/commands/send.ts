import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent send TO TEXT…`: one message (or protocol payload) to a peer or a workspace. */
export function sendCommand(context: ContextSource): Command {
  return new Command('send')
    .description('send a message (or a protocol payload) to a peer or a workspace')
    .argument('<to>', 'an address (bob@example.org) or a workspace (room@conference.example.org)')
    .argument('[text...]', 'the message; with --payload, the JSON body')
    .option('--payload <kind>', 'send a protocol payload of this kind (e.g. test.echo)')
    .option('--payload-version <n>', 'the payload version (default: 1)')
    .option('--stdin', 'read the text (or the JSON body) from stdin')
    .addHelpText(
      'after',
      `
A workspace is joined for the send and left afterwards. Prints the message id.

Examples:
  $ mx-agent send bob@example.org "build is green"
  $ mx-agent send team@conference.example.org "deploying now"
  $ mx-agent send bob@example.org --payload test.echo '{"hello":"world"}'
  $ git log -1 | mx-agent send bob@example.org --stdin`,
    )
    .action(async (to: string, words: string[], values: Record<string, unknown>) => {
      const { send } = await import('./send-action.ts');
      await send(to, words, values, context());
    });
}
