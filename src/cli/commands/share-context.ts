import { Command } from 'commander';
import type { ContextSource } from '../context.ts';
import { collect } from '../option-values.ts';

/** `mx-agent share-context`: send a peer a scrubbed snapshot of your work. */
export function shareContextCommand(context: ContextSource): Command {
  return new Command('share-context')
    .description('send a peer or a workspace a snapshot of your work, with secrets removed')
    .option(
      '--to <where>',
      'a workspace, a peer address, or an agent id or name from discover (default: $MX_AGENT_WORKSPACE)',
    )
    .option(
      '--git',
      'share the git state: remote, branch, HEAD, status and the diff of all changes',
    )
    .option('--base <rev>', 'with --git: diff against this commit (default: HEAD)')
    .option(
      '--files <glob>',
      'share files matching this glob, relative to here (repeatable)',
      collect,
    )
    .option('--env', 'share an environment snapshot: allowed variables and system info')
    .option(
      '--allow <name>',
      'with --env: share this variable, or NAME* (repeatable; replaces the default list)',
      collect,
    )
    .option('--note <text>', 'a note for the peer')
    .option('--note-file <file>', 'read the note from a file')
    .option('--title <text>', 'a title for the share')
    .addHelpText(
      'after',
      `
Before anything leaves, secrets are removed: variables with secret-looking names
(*TOKEN*, *SECRET*, *PASSWORD*, *_KEY, cloud credentials) are withheld even when
allowed, and values that look like tokens (AWS, GitHub, Slack, JWTs, private key
blocks, credentials in URLs) are redacted in the diff, the files and the notes.
Key files (id_rsa, *.pem, *.key, .netrc) are never shared. The command lists
what it withheld.

The diff covers staged, unstaged and untracked changes (binary files and
renames included) without touching your index. Bundles up to 24 KiB travel in
the message; larger ones as an encrypted attachment (Matrix) or an upload
(XMPP). The receiver checks the bundle's sha256.

Examples:
  $ mx-agent share-context --to '#ci:example.org' --git --note 'tests fail on CI only'
  $ mx-agent share-context --to bob@example.org --files 'src/**/*.ts' --env --allow NODE_ENV
  $ mx-agent share-context --to reviewer --git --base origin/main --title 'PR 42'`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { shareContext } = await import('./share-context-action.ts');
      await shareContext(values, context());
    });
}
