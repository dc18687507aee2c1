import { Command } from 'commander';
import type { ContextSource } from '../context.ts';
import { collect } from '../option-values.ts';

const WHERE = [
  '--in <workspace>',
  'look in this workspace (repeatable; default: your workspaces)',
] as const;
const WITH = [
  '--with <address>',
  'look in the direct conversation with this peer (repeatable)',
] as const;

/** `mx-agent context list|show|pull`: read what peers shared with `share-context`. */
export function contextCommand(context: ContextSource): Command {
  const command = new Command('context')
    .description('list, show and pull the context peers shared with you')
    .addHelpText(
      'after',
      `
Shares are read from the history of your workspaces (\`workspace list\`), or of
the places given with --in and --with. Each bundle's sha256 is checked before
it is shown or written; a bundle that fails the check is refused (exit 7).

Examples:
  $ mx-agent context list
  $ mx-agent context show ctx-abcd
  $ mx-agent context pull ctx-abcd --apply`,
    );
  command
    .command('list')
    .description('list shares, newest first')
    .option(...WHERE, collect)
    .option(...WITH, collect)
    .addHelpText('after', `\nExample:\n  $ mx-agent context list --with bob@example.org`)
    .action(async (values: Record<string, unknown>) => {
      const { listShares } = await import('./context-action.ts');
      await listShares(values, context());
    });
  command
    .command('show')
    .description('show one share: git state, files, environment, notes, what was withheld')
    .argument('<id>', 'the share id (ctx-…) or a unique prefix of it')
    .option(...WHERE, collect)
    .option(...WITH, collect)
    .option('--diff', 'also print the diff')
    .addHelpText('after', `\nExample:\n  $ mx-agent context show ctx-abcd --diff`)
    .action(async (id: string, values: Record<string, unknown>) => {
      const { showShare } = await import('./context-action.ts');
      await showShare(id, values, context());
    });
  command
    .command('pull')
    .description('write a share to a directory, and with --apply apply its diff in a new worktree')
    .argument('<id>', 'the share id (ctx-…) or a unique prefix of it')
    .option(...WHERE, collect)
    .option(...WITH, collect)
    .option('--dir <dir>', 'where to write it (default: ./ID)')
    .option('--overwrite', 'write into a directory that is not empty')
    .option(
      '--apply',
      "apply the diff with git apply --3way in a new worktree (DIR/worktree) of the repository here, at the share's base commit",
    )
    .addHelpText(
      'after',
      `
Writes bundle.json, changes.patch, files/, env.txt and notes.md. With --apply the
current repository must have the share's base commit (fetch it first); the
worktree is left for you to inspect. Exits 6 if the diff does not apply
cleanly, naming the files that conflict.

Examples:
  $ mx-agent context pull ctx-abcd --dir /tmp/review
  $ mx-agent context pull ctx-abcd --apply`,
    )
    .action(async (id: string, values: Record<string, unknown>) => {
      const { pullShare } = await import('./context-action.ts');
      await pullShare(id, values, context());
    });
  return command;
}
