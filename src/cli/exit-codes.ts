/**
 * The documented exit codes (docs/cli.md, `mx-agent --help`), and the one place that maps a
 * thrown value to one of them.
 */
import { CommanderError } from 'commander';
import { MxAgentError, type ErrorKind } from '../errors.ts';

/** One exit code per error kind (src/errors.ts), plus success. */
export const EXIT_CODES: Readonly<Record<ErrorKind | 'ok', number>> = {
  ok: 0,
  internal: 1,
  usage: 2,
  config: 3,
  auth: 4,
  network: 5,
  refused: 6,
  remote: 7,
  interrupted: 130,
};

/** What each code means, in order, for --help and docs/cli.md. */
export const EXIT_CODE_HELP: readonly (readonly [number, string])[] = [
  [EXIT_CODES.ok, 'success'],
  [EXIT_CODES.internal, 'internal error (a bug: rerun with -v and report it)'],
  [EXIT_CODES.usage, 'usage: bad arguments or input'],
  [EXIT_CODES.config, 'configuration: no such profile, unreadable config'],
  [EXIT_CODES.auth, 'authentication: credentials refused, or the server failed to prove itself'],
  [EXIT_CODES.network, 'network: server unreachable, connection lost, timed out'],
  [EXIT_CODES.refused, 'refused by a peer or by local policy'],
  [EXIT_CODES.remote, 'a remote job or tool failed'],
  [EXIT_CODES.interrupted, 'interrupted (Ctrl-C)'],
];

/** The exit-code table as help text. */
export function formatExitCodes(): string {
  return EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padStart(3)}  ${text}`).join('\n');
}

/**
 * The exit code for anything a command threw: our errors by kind, commander's own usage errors
 * as 2 (its help and --version "errors" as 0), anything else as an internal error.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof MxAgentError) return EXIT_CODES[error.kind];
  if (error instanceof CommanderError)
    return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  return EXIT_CODES.internal;
}
