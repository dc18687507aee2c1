import { Command } from 'commander';
import type { ContextSource } from '../context.ts';
import { collect } from '../option-values.ts';

/** `mx-agent policy check`: what a request would get from this worker's policy, and why. */
export function policyCommand(context: ContextSource): Command {
  const policy = new Command('policy')
    .description('the local policy (policy.toml) deciding what peers may run here')
    .addHelpText(
      'after',
      `
Deny by default: without policy.toml nothing runs for anyone. The format is in
docs/security.md; a file that does not parse stops the worker (exit 3).

Example:
  $ mx-agent policy check --requester agt-abcdefghijklmnop --cwd ~/src/app -- npm test`,
    );
  policy
    .command('check')
    .description('explain what a request would get and why, without running anything')
    .argument('[command]', 'the command the peer would ask for (or --tool)')
    .argument('[args...]', 'its arguments (put -- before them)')
    .option('--tool <name>', 'a tool of the policy ([tools.NAME]) the peer would use instead')
    .option('--with <input=value>', "a value for one of the tool's inputs (repeatable)", collect)
    .option('--requester <agent>', 'the requesting agent id (agt-…)')
    .option('--fingerprint <fp>', "its signing key's fingerprint (SHA256:…)")
    .option('--address <address>', 'the address it would come from')
    .option('--workspace <workspace>', 'the workspace it would come through')
    .option('--cwd <dir>', 'the working directory it would ask for (default: here)')
    .option('--env <name=value>', 'a variable it would set (repeatable)', collect)
    .option('--running <n>', 'jobs already running (for max_concurrent)')
    .option('--file <path>', 'the policy to read (default: policy.toml in the config directory)')
    .addHelpText(
      'after',
      `
Exits 0 when the request would be allowed, 6 when denied. A tool runs where
its [tools.NAME] table says, so --cwd does not go with --tool; a --with value
is text, as a workflow's \${{ }} gives it (integer and boolean inputs read it).

Examples:
  $ mx-agent policy check --requester agt-abcdefghijklmnop -- npm test
  $ mx-agent policy check --address @ci:example.org --cwd /srv/build --env CI=1 -- make all
  $ mx-agent policy check --requester agt-abcdefghijklmnop --tool lint --with path=src`,
    )
    .action(
      async (command: string | undefined, args: string[], values: Record<string, unknown>) => {
        const { checkPolicy } = await import('./policy-action.ts');
        checkPolicy(command, args, values, context());
      },
    );
  return policy;
}
