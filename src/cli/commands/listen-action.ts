import type { OptionValues } from 'commander';
import { MxAgentError, NetworkError, UsageError, quote } from '../../errors.ts';
import type { Transport, TransportEvent } from '../../transport/transport.ts';
import { withProfileTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { listOption, stringOption } from '../option-values.ts';
import { printEvent } from './listen-format.ts';

/** When to stop listening. */
export interface ListenLimits {
  readonly workspaces: readonly string[];
  /** Stop after this many messages (text or payload). */
  readonly count?: number;
  /** Stop after this long. */
  readonly timeoutMs?: number;
  /** Stop when aborted (Ctrl-C). */
  readonly signal: AbortSignal;
}

/** Why listening ended, and how many messages arrived. */
export interface ListenOutcome {
  readonly reason: 'count' | 'timeout' | 'interrupted';
  readonly received: number;
}

/** Connect the selected profile, join the workspaces, print events until a limit is reached. */
export async function listen(values: OptionValues, context: CliContext): Promise<void> {
  const count = optionalNumber(stringOption(values, 'count'), '--count', true);
  const timeout = optionalNumber(stringOption(values, 'timeout'), '--timeout', false);
  // Ctrl-C is how a listener normally ends: exit 0 (src/cli/program.ts).
  context.endsOnInterrupt();
  const { output } = context;
  const outcome = await withProfileTransport(context, (transport) =>
    receive(
      transport,
      {
        workspaces: listOption(values, 'workspace'),
        ...(count === undefined ? {} : { count }),
        ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }),
        signal: context.signal,
      },
      (event) => {
        printEvent(output, event);
      },
      (where) => {
        output.info(`listening as ${where} (Ctrl-C to stop)`);
      },
    ),
  );
  if (outcome.reason === 'timeout' && count !== undefined)
    throw new NetworkError(
      `timed out after ${String(timeout)} s with ${String(outcome.received)} of ${String(count)} messages`,
    );
}

/**
 * Subscribe, join the workspaces, call `ready`, then pass every event to `onEvent` until the
 * count, the timeout or the signal ends it. Events arriving while joining are not lost. A
 * connection that ends for good (credentials refused on reconnect, the session host stopped)
 * ends listening with its error.
 */
export async function receive(
  transport: Transport,
  limits: ListenLimits,
  onEvent: (event: TransportEvent) => void,
  ready: (where: string) => void,
): Promise<ListenOutcome> {
  let received = 0;
  const {
    promise: ended,
    resolve: end,
    reject: fail,
  } = Promise.withResolvers<ListenOutcome['reason']>();
  // It can fail while the workspaces are still being joined, before anyone awaits it.
  ended.catch(() => undefined);
  const unsubscribe = transport.subscribe((event) => {
    onEvent(event);
    if (event.type === 'connection' && (event.state === 'offline' || event.state === 'closed'))
      fail(connectionEnded(event.state, event.error));
    if (event.type !== 'text' && event.type !== 'payload') return;
    received += 1;
    if (limits.count !== undefined && received >= limits.count) end('count');
  });
  const onAbort = (): void => {
    end('interrupted');
  };
  limits.signal.addEventListener('abort', onAbort, { once: true });
  const timer =
    limits.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          end('timeout');
        }, limits.timeoutMs);
  try {
    for (const workspace of limits.workspaces)
      await transport.joinWorkspace(workspace, { signal: limits.signal });
    const rooms = limits.workspaces.length > 0 ? ` in ${limits.workspaces.join(', ')}` : '';
    if (!limits.signal.aborted) ready(`${transport.address}${rooms}`);
    return { reason: await ended, received };
  } catch (error) {
    // Ctrl-C while still joining ends the listener like Ctrl-C later does.
    if (limits.signal.aborted) return { reason: 'interrupted', received };
    throw error;
  } finally {
    clearTimeout(timer);
    limits.signal.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}

function connectionEnded(state: string, error: Error | undefined): MxAgentError {
  if (error instanceof MxAgentError) return error;
  return new NetworkError(
    `the connection ${state === 'closed' ? 'was closed' : 'ended'}${error ? `: ${error.message}` : ''}`,
    { cause: error },
  );
}

function optionalNumber(
  input: string | undefined,
  flag: string,
  integer: boolean,
): number | undefined {
  if (input === undefined) return undefined;
  const n = Number(input);
  const ok = integer
    ? /^[1-9]\d*$/.test(input)
    : Number.isFinite(n) && n > 0 && input.trim() !== '';
  if (!ok)
    throw new UsageError(
      `expected ${flag} to be a positive ${integer ? 'whole number' : 'number of seconds'}, got ${quote(input)}`,
    );
  return n;
}
