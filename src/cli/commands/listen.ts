import { Command } from 'commander';
import type { ContextSource } from '../context.ts';
import { collect } from '../option-values.ts';

/** `mx-agent listen`: print what arrives, for people and scripts (--json: JSON Lines). */
export function listenCommand(context: ContextSource): Command {
  return new Command('listen')
    .description('print incoming messages, payloads and presence until stopped')
    .option('--workspace <address>', 'also join this workspace (repeatable)', collect)
    .option('--count <n>', 'exit 0 after this many messages')
    .option('--timeout <seconds>', 'stop after this long (exit 5 if --count was not reached)')
    .addHelpText(
      'after',
      `
When ready it prints "listening as ADDRESS (Ctrl-C to stop)" on stderr
(unless -q). Ctrl-C stops listening and exits 0. With --json, every message and
presence change is one JSON object per line; dropped malformed input is
reported on stderr.

Examples:
  $ mx-agent listen
  $ mx-agent --json listen --workspace team@conference.example.org
  $ mx-agent listen --count 1 --timeout 30`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { listen } = await import('./listen-action.ts');
      await listen(values, context());
    });
}
