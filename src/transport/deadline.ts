import { InterruptedError, NetworkError } from '../errors.ts';
import type { WaitOptions } from './transport.ts';

/** Default for one network wait when the caller gives no timeout. */
export const DEFAULT_WAIT_MS = 30_000;

/**
 * Run `work` with a deadline and the caller's AbortSignal merged into one signal, and turn an
 * abort into the right error: InterruptedError when the caller aborted, NetworkError on timeout.
 * `work` receives the merged signal and must stop when it fires.
 */
export async function withDeadline<T>(
  what: string,
  options: WaitOptions | undefined,
  work: (signal: AbortSignal) => Promise<T>,
  defaultMs = DEFAULT_WAIT_MS,
): Promise<T> {
  const timeoutMs = options?.timeoutMs ?? defaultMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options?.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const toError = (): Error =>
    options?.signal?.aborted
      ? new InterruptedError(`interrupted while waiting for ${what}`)
      : new NetworkError(`timed out after ${formatMs(timeoutMs)} waiting for ${what}`);
  if (signal.aborted) throw toError();
  const { promise, reject } = Promise.withResolvers<never>();
  const onAbort = (): void => {
    reject(toError());
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([work(signal), promise]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Resolve after `ms`, or reject with InterruptedError when `signal` fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new InterruptedError('interrupted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new InterruptedError('interrupted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** "1.5 s", "300 ms". */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${String(Math.round(ms / 100) / 10)} s` : `${String(ms)} ms`;
}
