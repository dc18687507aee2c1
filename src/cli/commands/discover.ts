import { Command } from 'commander';
import type { ContextSource } from '../context.ts';
import { collect } from '../option-values.ts';

/** `mx-agent discover`: find peer agents, their capabilities and liveness. */
export function discoverCommand(context: ContextSource): Command {
  return new Command('discover')
    .description(
      'find peer agents in your workspaces (and public ones), with capabilities and liveness',
    )
    .option('--workspace <workspace>', 'look only in this workspace (repeatable)', collect)
    .option(
      '--capability <name>',
      'only agents offering this capability or skill (repeatable)',
      collect,
    )
    .option('--public', 'also search the public directories of your servers')
    .option('--search <text>', 'with --public: only entries whose name or address contains this')
    .option('--server <server>', 'with --public: search this server or XMPP service instead')
    .option('--once', 'in a terminal: print once instead of the live table')
    .addHelpText(
      'after',
      `
Looks in the workspaces every logged-in profile has joined (\`workspace list\`),
on Matrix and XMPP alike, and merges what it finds per agent. An agent is
active while its heartbeats arrive (every minute by default), stale after two
missed beats, offline after six or once it said goodbye.

In a terminal the table updates live (q quits); otherwise, or with --once or
--json, it prints once.

Examples:
  $ mx-agent discover
  $ mx-agent discover --capability code-review --json
  $ mx-agent discover --workspace '#ci:example.org'
  $ mx-agent discover --public --search agents`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { discover } = await import('./discover-action.ts');
      await discover(values, context());
    });
}
