import { MxAgentError, type ErrorKind } from '../errors.ts';

/** The documented exit codes (docs/cli.md), one per error kind. The only mapping there is. */
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

/** What each code means, for --help and docs/cli.md. */
export const EXIT_CODE_HELP: readonly (readonly [number, string])[] = [
  [0, 'success'],
  [1, 'internal error (a bug: rerun with -v and report it)'],
  [2, 'usage: bad arguments or input'],
  [3, 'configuration: no such profile, unreadable config'],
  [4, 'authentication: credentials refused, or the server failed to prove itself'],
  [5, 'network: server unreachable, connection lost, timed out'],
  [6, 'refused by a peer or by local policy'],
  [7, 'a remote job or tool failed'],
  [130, 'interrupted (Ctrl-C)'],
];

/** The exit code for any thrown value. */
export function exitCodeFor(error: unknown): number {
  return error instanceof MxAgentError ? EXIT_CODES[error.kind] : EXIT_CODES.internal;
}
