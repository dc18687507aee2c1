/**
 * The mx-agent program. Startup stays cheap (design.md §8: `--help` within 2× of `node -e 0`):
 * this file imports only commander and small modules; every command loads the SDKs it needs
 * inside its action.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { MxAgentError } from '../errors.ts';
import { listenCommand } from './commands/listen.ts';
import { loginCommand } from './commands/login.ts';
import { logoutCommand } from './commands/logout.ts';
import { profilesCommand } from './commands/profiles.ts';
import { sendCommand } from './commands/send.ts';
import { whoamiCommand } from './commands/whoami.ts';
import type { CliContext } from './context.ts';
import { EXIT_CODE_HELP, EXIT_CODES, exitCodeFor } from './exit-codes.ts';
import { Output, wantsColor } from './output.ts';

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Build the program; `run` parses and executes it. */
export function buildProgram(context: () => CliContext): Command {
  const program = new Command('mx-agent')
    .description('Peer collaboration for AI agents and their developers over Matrix and XMPP')
    .version(version, '--version', 'print the version')
    .option('--profile <name>', 'use this stored account (default: the default profile)')
    .option('--json', 'print results as JSON (one object per line for streams)')
    .addOption(
      new Option('-v, --verbose', 'more diagnostics; twice for protocol traces')
        .argParser((_v, previous: number) => previous + 1)
        .default(0),
    )
    .option('-q, --quiet', 'print only results')
    .option('--no-color', 'no colors in output')
    .showHelpAfterError('(run with --help for usage)')
    // A fixed width keeps help identical everywhere (and equal to the build-time copy).
    .configureHelp({ helpWidth: 100 })
    .addHelpText(
      'after',
      `\nExit codes:\n${EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padStart(3)}  ${text}`).join('\n')}\n`,
    );
  for (const make of [
    loginCommand,
    whoamiCommand,
    profilesCommand,
    logoutCommand,
    sendCommand,
    listenCommand,
  ]) {
    program.addCommand(make(context));
  }
  return program;
}

/** Parse argv and run; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const abort = new AbortController();
  let output = new Output({ json: false, quiet: false, verbose: 0, color: wantsColor(true) });
  const context = (): CliContext => ({
    output,
    profile: globals.profile,
    signal: abort.signal,
    version,
  });
  const globals: { profile?: string } = {};
  const program = buildProgram(context);
  program.exitOverride();
  program.configureOutput({
    outputError: (text) => {
      output.error(text.replace(/^error: /, '').trimEnd());
    },
  });
  program.hook('preAction', (_root, action) => {
    const opts = action.optsWithGlobals<{
      profile?: string;
      json?: boolean;
      verbose: number;
      quiet?: boolean;
      color: boolean;
    }>();
    globals.profile = opts.profile;
    output = new Output({
      json: opts.json === true,
      quiet: opts.quiet === true,
      verbose: opts.verbose,
      color: wantsColor(opts.color),
    });
  });
  // `mx-agent … | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_CODES.ok);
  });
  const onSignal = (): void => {
    if (abort.signal.aborted) process.exit(EXIT_CODES.interrupted);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await program.parseAsync(argv);
    return EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    report(output, error);
    return exitCodeFor(error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** One line for a person; the stack and causes only with -v. */
function report(output: Output, error: unknown): void {
  if (error instanceof MxAgentError) output.error(error.message);
  else
    output.error(
      `internal error: ${error instanceof Error ? error.message : String(error)} (rerun with -v for details, and please report it)`,
    );
  if (output.options.verbose > 0 && error instanceof Error) {
    output.debug(error.stack ?? String(error));
    for (let cause = error.cause; cause instanceof Error; cause = cause.cause)
      output.debug(`caused by: ${cause.stack ?? cause.message}`);
  }
}
