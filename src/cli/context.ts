import type { Output } from './output.ts';

/** What every command action receives: the global options turned into values. */
export interface CliContext {
  readonly output: Output;
  /** The --profile given, if any. */
  readonly profile: string | undefined;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM; pass it to every network wait. */
  readonly signal: AbortSignal;
  /** This package's version. */
  readonly version: string;
  /** Declare that Ctrl-C is how this command normally ends (`listen`): exit 0, not 130. */
  endsOnInterrupt(): void;
  /** Exit with this code when the action returns (a shared program's own exit code). */
  exitWith(code: number): void;
}

/** Commands get their context lazily: the global options are known only once parsing is done. */
export type ContextSource = () => CliContext;
