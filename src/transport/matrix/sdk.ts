/**
 * How we hold matrix-js-sdk: its logging routed to ours, its send retries made patient and
 * ordered, its long request timers kept from pinning the process, and a last check on the wire
 * that no plaintext event goes into a room we know is encrypted.
 */
import { ConnectionError, MatrixError, MatrixScheduler, type MatrixEvent } from 'matrix-js-sdk';

import { logger as globalLogger, type Logger } from 'matrix-js-sdk/lib/logger.js';

type Log = (level: 'debug' | 'info' | 'warn', message: string) => void;

/**
 * The SDK's global logger (loglevel) prints straight to the console; our CLI decides what is
 * shown. Child loggers copy the root's method factory, so silencing the root silences them.
 */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- silencing it is the point
const root = globalLogger as unknown as { methodFactory: unknown; rebuild(): void };
root.methodFactory = () => () => undefined;
root.rebuild();

/** A Logger that passes the SDK's warnings and errors to our log at debug level. */
export function sdkLogger(log: Log | undefined): Logger {
  const text = (args: unknown[]): string =>
    args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  const logger: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (...args: unknown[]) => log?.('debug', `matrix-js-sdk: ${text(args)}`),
    error: (...args: unknown[]) => log?.('debug', `matrix-js-sdk: ${text(args)}`),
    getChild: () => logger,
  };
  return logger;
}

/**
 * matrix-js-sdk leaves long timers behind after `stopClient()`: one per request with a local
 * timeout (every /sync long poll, up to 110 s, http-api/utils.js `timeoutSignal`), the 6-hour
 * capability poll, a 5-minute verification-request expiry. A process whose clients have all
 * stopped would live on for minutes or hours. None of them is a reason to stay alive (sockets
 * and our own work are), so SDK timers of 10 s or more are unref'd. Only long timers are
 * inspected, so looking at the caller costs about once per sync.
 */
let timersPatched = false;

function calledFromSdk(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 6;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return stack.includes('/matrix-js-sdk/lib/');
}
export function unrefSdkRequestTimers(): void {
  if (timersPatched) return;
  timersPatched = true;
  const original = globalThis.setTimeout;
  const patched = (handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = original(handler, ms, ...args);
    if (typeof ms === 'number' && ms >= 10_000 && calledFromSdk()) {
      timer.unref();
    }
    return timer;
  };
  globalThis.setTimeout = Object.assign(patched, original);
}

/** Milliseconds a 429 asks us to wait (retry_after_ms, or Retry-After), if it is one. */
export function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof MatrixError) || !error.isRateLimitError()) return undefined;
  try {
    return error.getRetryAfterMs() ?? 1000;
  } catch {
    return 1000;
  }
}

/** Capped exponential delay before retry number `attempt` (0-based). */
export function backoffMs(attempt: number, maxMs: number): number {
  return Math.min(maxMs, 250 * 2 ** Math.min(attempt, 10));
}

/** True for a failure that sending again later can fix: no connection, 5xx, 429. */
export function isTransient(error: unknown): boolean {
  if (error instanceof ConnectionError) return true;
  if (error instanceof Error && error.name === 'ConnectionError') return true;
  if (error instanceof MatrixError) {
    const status = error.httpStatus ?? 0;
    return status === 429 || status >= 500 || status === 0;
  }
  return false;
}

/**
 * Send scheduling: one queue per room, so events reach a room in the order they were sent;
 * rate limits waited out as the server asks; transient failures retried with capped
 * exponential backoff for as long as the sender waits (send() cancels the event at its
 * deadline); anything else fails at once.
 */
export function createScheduler(maxBackoffMs: number): MatrixScheduler {
  return new MatrixScheduler(
    (_event: MatrixEvent, attempts: number, error: MatrixError) => {
      const wait = retryAfterMs(error);
      if (wait !== undefined) return wait;
      if (!isTransient(error)) return -1;
      return backoffMs(attempts, maxBackoffMs);
    },
    (event: MatrixEvent) => event.getRoomId() ?? 'none',
  );
}

const SEND_PATH = /\/_matrix\/client\/v3\/rooms\/([^/]+)\/send\/([^/]+)\//;

/** The errcode our guard answers with when it stops a plaintext event (never sent). */
export const PLAINTEXT_REFUSED = 'MX_AGENT_PLAINTEXT_REFUSED';

/**
 * A fetch that refuses to put a plaintext event into a room known to be encrypted. The SDK
 * encrypts when its crypto knows the room is encrypted; this is the backstop for any path where
 * it would not (a room it has not synced yet, a bug). The refusal is a 400 so nothing retries.
 */
export function guardedFetch(isEncrypted: (roomId: string) => boolean): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const match = init?.method === 'PUT' ? SEND_PATH.exec(url) : null;
    if (match?.[1] && match[2]) {
      const roomId = decodeURIComponent(match[1]);
      const type = decodeURIComponent(match[2]);
      // Reactions are the one exception the SDK itself makes (reactions.ts).
      if (type !== 'm.room.encrypted' && type !== 'm.reaction' && isEncrypted(roomId)) {
        return Response.json(
          {
            errcode: PLAINTEXT_REFUSED,
            error: `refused to send a plaintext ${type} event into the encrypted room ${roomId}`,
          },
          { status: 400 },
        );
      }
    }
    return fetch(input, init);
  };
}
