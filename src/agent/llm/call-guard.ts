/**
 * What every provider does around one call: one signal that fires on the caller's abort or on
 * the call's time limit, and, when the call fails, telling the three outcomes apart — stopped by
 * the caller (an AbortError, so /stop is not reported as a failure), out of time (a transient
 * ModelError), or the provider's own failure (mapped by the provider).
 */
import { abortError } from './errors.ts';
import { ModelError } from './types.ts';

/** How one guarded call is set up. */
export interface CallGuard {
  readonly provider: string;
  /** The caller's signal (ModelRequest.signal). */
  readonly signal: AbortSignal | undefined;
  /** The longest the whole call may take, streaming included. */
  readonly timeoutMs: number;
  /** Turns anything else the call threw into a ModelError. */
  readonly mapError: (error: unknown) => ModelError;
}

/**
 * Run `call` with a signal combining the caller's and the time limit. The client libraries end
 * a stream quietly when its signal fires, so the outcome is checked after success as well.
 */
export async function guardCall<T>(
  guard: CallGuard,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { provider, signal } = guard;
  if (signal?.aborted === true) throw abortError(provider, signal);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`${provider}: time limit reached`));
  }, guard.timeoutMs);
  const onAbort = (): void => {
    controller.abort(signal?.reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const stopped = (): Error | undefined => {
    if (signal?.aborted === true) return abortError(provider, signal);
    if (timedOut)
      return new ModelError(
        `${provider}: no complete answer within ${formatSeconds(guard.timeoutMs)}`,
        { transient: true },
      );
    return undefined;
  };
  try {
    const result = await call(controller.signal);
    const reason = stopped();
    if (reason !== undefined) throw reason;
    return result;
  } catch (error) {
    const reason = stopped();
    if (reason !== undefined) throw reason;
    throw error instanceof ModelError ? error : guard.mapError(error);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${String(ms / 1000)} s` : `${String(ms)} ms`;
}
