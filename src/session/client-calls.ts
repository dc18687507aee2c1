/**
 * The requests of one client link that wait for their answer: ids, deadlines, the caller's
 * AbortSignal. A request given up on (Ctrl-C, or a host that stays silent past the deadline)
 * is cancelled in the host too, so the work stops there as well.
 */
import { InterruptedError, NetworkError } from '../errors.ts';
import { formatMs } from '../transport/deadline.ts';
import type { WaitOptions } from '../transport/transport.ts';
import type { Method } from './protocol.ts';

/** A call's own deadline is the host's; ours adds this much before giving up on the host. */
const CALL_GRACE_MS = 5_000;
/** Longer than any transport's default wait (blobs: 120 s). */
const DEFAULT_CALL_GUARD_MS = 130_000;

/** One request line as the client writes it. */
export interface OutgoingRequest {
  readonly id: number;
  readonly method: Method;
  readonly params: Record<string, unknown>;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** The calls in flight on one link. */
export class PendingCalls {
  readonly #pending = new Map<number, Pending>();
  readonly #write: (request: OutgoingRequest) => void;
  #nextId = 1;

  constructor(write: (request: OutgoingRequest) => void) {
    this.#write = write;
  }

  /** Send a request and resolve with its result (or reject with its error). */
  call(method: Method, params: Record<string, unknown>, options?: WaitOptions): Promise<unknown> {
    const signal = options?.signal;
    if (signal?.aborted === true)
      return Promise.reject(new InterruptedError(`interrupted before ${method}`));
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const guardMs =
      options?.timeoutMs === undefined ? DEFAULT_CALL_GUARD_MS : options.timeoutMs + CALL_GRACE_MS;
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.#pending.delete(id);
    };
    const giveUp = (error: Error): void => {
      done();
      if (method !== 'cancel')
        this.#write({ id: this.#nextId++, method: 'cancel', params: { id } });
      reject(error);
    };
    const timer = setTimeout(() => {
      giveUp(
        new NetworkError(`the session host did not answer ${method} within ${formatMs(guardMs)}`),
      );
    }, guardMs);
    const onAbort = (): void => {
      giveUp(new InterruptedError(`interrupted while waiting for ${method}`));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#pending.set(id, {
      resolve: (value) => {
        done();
        resolve(value);
      },
      reject: (error) => {
        done();
        reject(error);
      },
    });
    const timeout = options?.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
    this.#write({ id, method, params: { ...params, ...timeout } });
    return promise;
  }

  /** Settle the call with this id; false when no such call waits (it was given up on). */
  settle(id: number, outcome: { result: unknown } | { error: Error }): boolean {
    const pending = this.#pending.get(id);
    if (!pending) return false;
    if ('error' in outcome) pending.reject(outcome.error);
    else pending.resolve(outcome.result);
    return true;
  }

  /** Fail every waiting call. */
  failAll(error: Error): void {
    for (const pending of [...this.#pending.values()]) pending.reject(error);
  }
}
