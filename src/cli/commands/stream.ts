import { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import type { ContextSource } from '../context.ts';
import { collect } from '../option-values.ts';

/** `mx-agent stream`: share a terminal; attach, list, export, replay; grant input live. */
export function streamCommand(context: ContextSource): Command {
  const stream = new Command('stream')
    .description('share a live terminal with peers, or watch one')
    .usage('[options] [-- COMMAND [ARGS...]]')
    .argument('[command...]', 'the program to run (default: your $SHELL)')
    .option('--to <where>', 'a workspace or a peer address (default: $MX_AGENT_WORKSPACE)')
    .option('--title <text>', 'a title for viewers (default: the command line)')
    .option('--allow-input <address>', 'let this peer type into the program (repeatable)', collect)
    .option('--record <file.cast>', 'also record the session to an asciicast v2 file')
    .option('--pty', 'run in a pseudo-terminal even without a local terminal')
    .option('--pipe', 'run with plain pipes even on a terminal')
    .option('--size <COLSxROWS>', 'terminal size when there is no local terminal (default 80x24)')
    .addHelpText(
      'after',
      `
Runs COMMAND (after "--") in a pseudo-terminal sized like yours and behaves
like your terminal; every byte of output, each resize and the exit code go to
peers as encrypted room events (Matrix) or MUC/direct messages (XMPP). Without
a terminal (CI) the command runs with pipes and its stdout and stderr are
streamed. mx-agent exits with the program's exit code.

Peers may type only when allowed with --allow-input; allow or revoke while it
runs with "mx-agent stream allow|revoke ADDRESS". Anything else is dropped.

Examples:
  $ mx-agent stream --to '#team:example.org'
  $ mx-agent stream --to team@conference.example.org --title build -- make test
  $ mx-agent stream --to '#pair:example.org' --allow-input @bob:example.org -- vim
  $ mx-agent stream --to '#team:example.org' --record session.cast -- htop`,
    )
    .action(async (command: string[], values: Record<string, unknown>) => {
      const { shareStream } = await import('./stream-share-action.ts');
      await shareStream(command, values, context());
    });

  stream
    .command('attach')
    .description('watch a stream live (and type, when the sharer allows it)')
    .argument('<where>', 'the workspace or peer address the stream is in')
    .option('--stream <id>', 'which stream (default: the newest live one)')
    .option('--from-start', 'replay from the beginning instead of the current screen')
    .addHelpText(
      'after',
      `
Shows the current screen, then follows live. Watching the same stream again
resumes where you stopped, without loss or repeats. Keystrokes go to the
program only if the sharer allowed you; Ctrl-] detaches. Exits with the
program's exit code when the stream ends.

Examples:
  $ mx-agent stream attach '#team:example.org'
  $ mx-agent stream attach team@conference.example.org --stream 3f2a --from-start > out.log`,
    )
    .action(async (where: string, values: Record<string, unknown>) => {
      const { attachStream } = await import('./stream-attach-action.ts');
      await attachStream(where, values, context());
    });

  stream
    .command('list')
    .description('list live and finished streams in a workspace or conversation')
    .argument('<where>', 'a workspace or peer address')
    .action(async (where: string) => {
      const { listStreamsAction } = await import('./stream-attach-action.ts');
      await listStreamsAction(where, context());
    });

  stream
    .command('export')
    .description('rebuild an asciicast v2 recording of a stream from history')
    .argument('<id>', 'the stream id (or a unique prefix)')
    .requiredOption('-o, --output <file.cast>', 'where to write the recording')
    .option('--in <where>', 'the workspace or peer address (default: where it was seen here)')
    .action(async (id: string, values: Record<string, unknown>) => {
      const { exportStream } = await import('./stream-attach-action.ts');
      await exportStream(id, values, context());
    });

  stream
    .command('replay')
    .description('play an asciicast v2 recording in this terminal')
    .argument('<file>', 'the .cast file')
    .option('--speed <factor>', 'playback speed (default 1)')
    .option('--idle-limit <seconds>', 'cap pauses at this many seconds')
    .action(async (file: string, values: Record<string, unknown>) => {
      const { replayRecording } = await import('./stream-replay-action.ts');
      await replayRecording(file, values, context());
    });

  // After "--" everything is the program's: commander would still take `-- list` for the
  // subcommand, so say how to run a program of that name instead of doing something else.
  stream.hook('preSubcommand', (_stream, sub) => {
    const raw = process.argv;
    const dashes = raw.indexOf('--');
    if (dashes >= 0 && raw.indexOf(sub.name(), dashes) > dashes)
      throw new UsageError(
        `to share a program named "${sub.name()}", give its path: -- ./${sub.name()} or -- "$(command -v ${sub.name()})"`,
      );
  });
  for (const op of ['allow', 'revoke'] as const) {
    stream
      .command(op)
      .description(
        op === 'allow'
          ? 'let a peer type into a stream running here'
          : 'stop a peer typing into a stream running here',
      )
      .argument('<address>', 'the peer (Matrix user id or JID)')
      .option('--stream <id>', 'which stream (default: the only one running here)')
      .action(async (who: string, values: Record<string, unknown>) => {
        const { controlStream } = await import('./stream-share-action.ts');
        await controlStream(op, who, values, context());
      });
  }
  return stream;
}
