import type { Output } from './output.ts';

/** What every command action receives: global options turned into values. */
export interface CliContext {
  readonly output: Output;
  /** The --profile given, if any. */
  readonly profile: string | undefined;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;
  readonly version: string;
}

/** Commands get their context lazily: global options are only known once parsing is done. */
export type ContextSource = () => CliContext;
