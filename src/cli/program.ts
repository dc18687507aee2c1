/**
 * The mx-agent program: global options, the commands, and the one top-level catch that turns
 * what a command threw into a one-line message and an exit code (exit-codes.ts).
 *
 * Startup stays cheap (design.md §8): this file and the command definitions import only
 * commander and tiny modules; every action loads what it needs (conf, xmpp.js, the transport)
 * with a dynamic import.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { MxAgentError, messageOf } from '../errors.ts';
import { approvalsCommand } from './commands/approvals.ts';
import { auditCommand } from './commands/audit.ts';
import { cardCommand } from './commands/card.ts';
import { completionCommand } from './commands/completion.ts';
import { contextCommand } from './commands/context-cmd.ts';
import { demoCommand } from './commands/demo.ts';
import { devCommand } from './commands/dev.ts';
import { discoverCommand } from './commands/discover.ts';
import { daemonCommand } from './commands/daemon.ts';
import { listenCommand } from './commands/listen.ts';
import { loginCommand } from './commands/login.ts';
import { logoutCommand } from './commands/logout.ts';
import { policyCommand } from './commands/policy.ts';
import { profilesCommand } from './commands/profiles.ts';
import { sendCommand } from './commands/send.ts';
import { serveCommand } from './commands/serve.ts';
import { shareContextCommand } from './commands/share-context.ts';
import { streamCommand } from './commands/stream.ts';
import { trustCommand } from './commands/trust.ts';
import { backupCommand } from './commands/backup.ts';
import { verifyCommand } from './commands/verify.ts';
import { whoamiCommand } from './commands/whoami.ts';
import { workflowCommand } from './commands/workflow.ts';
import { workspaceCommand } from './commands/workspace.ts';
import type { CliContext, ContextSource } from './context.ts';
import { EXIT_CODES, exitCodeFor, formatExitCodes } from './exit-codes.ts';
import { colorAllowed, onClosedStdout, Output, type OutputOptions } from './output.ts';

const HELP_WIDTH = 80;
const REPEAT_MS = 250;

const EXAMPLES = `
Examples:
  $ mx-agent login xmpp --jid alice@example.org
  $ mx-agent whoami
  $ mx-agent profiles
  $ mx-agent send bob@example.org "build is green"
  $ mx-agent --json listen --workspace team@conference.example.org
  $ mx-agent daemon status
  $ mx-agent logout alice@example.org
`;

/** The version in package.json, read as text: cheaper than a JSON module import. */
function readVersion(): string {
  const pkg: unknown = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  );
  return typeof pkg === 'object' &&
    pkg !== null &&
    'version' in pkg &&
    typeof pkg.version === 'string'
    ? pkg.version
    : '0.0.0';
}

/** The program with every implemented command. */
function buildProgram(version: string, context: ContextSource): Command {
  const program = new Command('mx-agent')
    .description('Peer collaboration for AI agents and their developers over Matrix and XMPP')
    .version(version, '--version', 'print the version')
    .option('--profile <name>', 'use this stored account (default: the default profile)')
    .option('--json', 'print results as JSON (one object per line for streams)')
    .addOption(
      new Option('-v, --verbose', 'more diagnostics and stack traces; twice for protocol traces')
        .argParser((_value: string | undefined, previous: number) => previous + 1)
        .default(0),
    )
    .option('-q, --quiet', 'print only results and errors')
    .option('--no-color', 'no colors in output (also: NO_COLOR=1)')
    .addHelpText('after', `${EXAMPLES}\nExit codes:\n${formatExitCodes()}\n`);
  for (const command of [
    demoCommand,
    loginCommand,
    whoamiCommand,
    profilesCommand,
    logoutCommand,
    sendCommand,
    listenCommand,
    streamCommand,
    workspaceCommand,
    cardCommand,
    discoverCommand,
    shareContextCommand,
    contextCommand,
    trustCommand,
    policyCommand,
    auditCommand,
    approvalsCommand,
    workflowCommand,
    serveCommand,
    verifyCommand,
    backupCommand,
    daemonCommand,
    devCommand,
  ])
    program.addCommand(command(context));
  program.addCommand(completionCommand());
  return program;
}

/** Global options, narrowed from commander's untyped values. */
function readGlobals(values: Record<string, unknown>): OutputOptions & { profile?: string } {
  return {
    json: values.json === true,
    quiet: values.quiet === true,
    verbose: typeof values.verbose === 'number' ? values.verbose : 0,
    color: colorAllowed(values.color !== false),
    ...(typeof values.profile === 'string' ? { profile: values.profile } : {}),
  };
}

/** Route commander's output through ours, throw instead of exiting, on every (sub)command. */
function configure(command: Command, output: () => Output): void {
  command
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => {
        output().write('stdout', text);
      },
      writeErr: (text) => {
        output().write('stderr', text);
      },
      outputError: (text) => {
        output().error(text.replace(/^error: /, '').trimEnd());
      },
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    // One width everywhere: help is then identical on any terminal, in docs/cli.md, and in the
    // build-time copy of the root help (main.ts).
    .configureHelp({ helpWidth: HELP_WIDTH });
  for (const sub of command.commands) configure(sub, output);
}

/** One line for a person; the stack and the causes only with -v. */
function report(output: Output, error: unknown): void {
  if (error instanceof CommanderError) return; // commander has printed its message already
  if (error instanceof MxAgentError) output.error(error.message);
  else
    output.error(
      `internal error: ${messageOf(error)} (rerun with -v for details, and please report it)`,
    );
  if (output.options.verbose === 0 || !(error instanceof Error)) return;
  output.debug(error.stack ?? String(error));
  for (let cause = error.cause; cause instanceof Error; cause = cause.cause)
    output.debug(`caused by: ${cause.stack ?? cause.message}`);
}

/** Parse argv, run the command, and return the exit code. The one top-level catch. */
export async function run(argv: string[]): Promise<number> {
  const version = readVersion();
  const abort = new AbortController();
  let output = new Output({ json: false, quiet: false, verbose: 0, color: colorAllowed(true) });
  let profile: string | undefined;
  // An object, not a `let`: set from a closure, which flow analysis does not see.
  const interrupt = { isNormal: false };
  const status: { code?: number } = {};
  const context: ContextSource = (): CliContext => ({
    output,
    profile,
    signal: abort.signal,
    version,
    endsOnInterrupt: () => {
      interrupt.isNormal = true;
    },
    exitWith: (code) => {
      status.code = code;
    },
  });
  const program = buildProgram(version, context);
  configure(program, () => output);
  onClosedStdout(() => process.exit(EXIT_CODES.ok));
  program.hook('preAction', (_program, action) => {
    const globals = readGlobals(action.optsWithGlobals());
    profile = globals.profile;
    output = new Output(globals);
  });
  // First Ctrl-C: abort, so commands close their connections; a second one: leave now.
  // conf's file writer (atomically → when-exit) catches SIGINT/SIGTERM once and re-raises it,
  // so one Ctrl-C can arrive twice: a repeat within REPEAT_MS is the same Ctrl-C.
  let firstSignalAt = 0;
  const onSignal = (): void => {
    if (!abort.signal.aborted) {
      firstSignalAt = Date.now();
      abort.abort();
    } else if (Date.now() - firstSignalAt > REPEAT_MS) process.exit(EXIT_CODES.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await program.parseAsync(argv);
    if (status.code !== undefined) return status.code;
    return abort.signal.aborted && !interrupt.isNormal ? EXIT_CODES.interrupted : EXIT_CODES.ok;
  } catch (error) {
    report(output, error);
    return abort.signal.aborted && !interrupt.isNormal
      ? EXIT_CODES.interrupted
      : exitCodeFor(error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
