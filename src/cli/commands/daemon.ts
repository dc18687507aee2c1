import { Command, Option } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent daemon run|status|stop`: the per-profile session host. */
export function daemonCommand(context: ContextSource): Command {
  const daemon = new Command('daemon')
    .description('the per-profile session host: run it, show it, stop it')
    .addHelpText(
      'after',
      `
All commands on one profile share its session host, a background process that
holds the connection (and the keys): the first command starts it, the others
use it, and it exits after 5 minutes without commands (MX_AGENT_HOST_IDLE_MS
sets another time, in milliseconds). Secrets never leave it.

Examples:
  $ mx-agent daemon status
  $ mx-agent --profile work daemon stop
  $ mx-agent daemon stop --all
  $ mx-agent --profile work daemon run`,
    );
  daemon
    .command('run')
    .description("run the profile's session host in the foreground until Ctrl-C")
    .addOption(
      // What a command that starts the host in the background runs: report readiness on
      // stdout once, log to stderr, exit when idle.
      new Option('--background', 'started by another command').hideHelp(),
    )
    .addHelpText(
      'after',
      `
Other commands on the profile use this host while it runs. It fails (exit 6)
if a host already serves the profile.

Example:
  $ mx-agent --profile work daemon run`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { runDaemon } = await import('./daemon-action.ts');
      await runDaemon(values, context());
    });
  daemon
    .command('status')
    .description('show the session hosts of all profiles (or of --profile)')
    .addHelpText(
      'after',
      `
Shows, per profile: state, address, pid, connected commands, uptime.

Examples:
  $ mx-agent daemon status
  $ mx-agent --profile work --json daemon status`,
    )
    .action(async () => {
      const { daemonStatus } = await import('./daemon-action.ts');
      await daemonStatus(context());
    });
  daemon
    .command('stop')
    .description("stop the profile's session host and wait until it has exited")
    .option('--all', 'stop the session hosts of every profile')
    .addHelpText(
      'after',
      `
Commands still using the host end with exit code 5.

Examples:
  $ mx-agent daemon stop
  $ mx-agent --profile work daemon stop
  $ mx-agent daemon stop --all`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { daemonStop } = await import('./daemon-action.ts');
      await daemonStop(values, context());
    });
  return daemon;
}
