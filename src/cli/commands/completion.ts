import { Command } from 'commander';
import { UsageError, quote } from '../../errors.ts';
import { SHELLS, completionScript, completionTree, type Shell } from '../completion.ts';

/** `mx-agent completion bash|zsh|fish`: print the shell's completion script. */
export function completionCommand(): Command {
  return new Command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText(
      'after',
      `
Completes commands, subcommands, options, and profile names after --profile.

Examples:
  $ eval "$(mx-agent completion bash)"          # in ~/.bashrc
  $ eval "$(mx-agent completion zsh)"           # in ~/.zshrc
  $ mx-agent completion fish | source           # in ~/.config/fish/config.fish`,
    )
    .action((shell: string, _options: unknown, command: Command) => {
      if (!(SHELLS as readonly string[]).includes(shell))
        throw new UsageError(`expected a shell: bash, zsh or fish, got ${quote(shell)}`);
      const root = command.parent ?? command;
      process.stdout.write(completionScript(shell as Shell, completionTree(root)));
    });
}
