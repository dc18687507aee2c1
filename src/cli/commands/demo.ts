import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent demo`: the whole flow on this machine, in under a minute. */
export function demoCommand(context: ContextSource): Command {
  return new Command('demo')
    .description('see everything work: three agents on a local Matrix and XMPP server')
    .option('--keep', 'leave it running afterwards, with commands to try by hand (Ctrl-C ends)')
    .option('--offline', 'use the offline scripted model even when Ollama is reachable')
    .option(
      '--ollama <url>',
      'the Ollama server for the chat agent (default: $OLLAMA_HOST, else http://127.0.0.1:11434)',
    )
    .option('--model <name>', 'the Ollama model (default: the first one it has)')
    .option('--no-xmpp', 'Matrix only, even when Prosody is installed')
    .addHelpText(
      'after',
      `
Starts the development Matrix homeserver in this process (and Prosody when it
is installed), creates three agents with their own profiles in a temporary
directory, and runs the real commands: login, an end-to-end encrypted
workspace, discover, share-context of a generated git repository, a shared
terminal watched by another agent, a workflow run across two agents, and a
chat with a serve agent. The chat agent uses Ollama when one answers;
otherwise the demo says so and uses an offline scripted model whose answers
are labelled as such.

In a terminal the steps show live; otherwise each step prints as text (--json:
one JSON event per line). Everything is stopped and removed at the end, and on
Ctrl-C (exit 130); with --keep it stays up until Ctrl-C (then exit 0). Exits 0
when every step worked, 1 with the failed step's error otherwise.

Examples:
  $ mx-agent demo
  $ mx-agent demo --keep
  $ mx-agent demo --ollama http://gpu-box:11434 --model llama3.2`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { demoAction } = await import('./demo-action.ts');
      await demoAction(values, context());
    });
}
