import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent dev homeserver …`: development tools (design.md §7). */
export function devCommand(context: ContextSource): Command {
  const dev = new Command('dev')
    .description('development tools: a local Matrix homeserver')
    .addHelpText('after', '\nExample:\n  $ mx-agent dev homeserver');
  dev
    .command('homeserver')
    .description('run the development Matrix homeserver until stopped (never for production)')
    .option('--port <port>', 'port to listen on', '8008')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--data <dir>', 'keep accounts, rooms and keys here (default: DATA/devserver)')
    .option('--server-name <name>', 'the server name in user ids (@alice:NAME)', 'localhost')
    .option('--rate-limit', "limit sends, logins and new rooms as Synapse's defaults do (429)")
    .addHelpText(
      'after',
      `
A Matrix homeserver for development, tests and the demo: the Client-Server API
subset mx-agent and matrix-js-sdk use, end-to-end encryption keys included, in
one SQLite file. No federation. Real deployments use Synapse, Conduit or
Tuwunel. What it implements and omits: dev/matrix/README.md.

DATA is mx-agent's data directory ($MX_AGENT_DATA_DIR, else
$XDG_DATA_HOME/mx-agent, else ~/.local/share/mx-agent); what is there survives
restarts. It prints the URL and the server name (--json: one JSON object on
one line), then serves until Ctrl-C or SIGTERM, which stop it and exit 0.
Binding another interface than loopback prints a warning: anyone who can reach
the port can register accounts.

Examples:
  $ mx-agent dev homeserver
  $ mx-agent --json dev homeserver --port 8448 --data /tmp/hs`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { devHomeserver } = await import('./dev-action.ts');
      await devHomeserver(values, context());
    });
  return dev;
}
