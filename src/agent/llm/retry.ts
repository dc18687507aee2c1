/**
 * The one retry policy for model calls: transient failures only, exponential backoff with
 * jitter ("full jitter" over the upper half, so concurrent conversations spread out), the
 * provider's Retry-After honoured up to the cap, and nothing more once the caller aborts.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { abortError } from './errors.ts';
import { ModelError, type ChatModel, type ModelRequest, type ModelResponse } from './types.ts';

/** A failed attempt that will be tried again. */
export interface RetryNotice {
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: ModelError;
}

/** How hard to try. */
export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Waits `ms`, rejecting when `signal` fires; a timer by default (tests pass their own). */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  readonly onRetry?: (notice: RetryNotice) => void;
  /** A number in [0, 1); Math.random by default. */
  readonly random?: () => number;
}

/**
 * `model.complete(request)`, tried again after transient failures. A failure after text has
 * already been passed to `onText` is not retried: the reader has seen part of an answer, and a
 * second attempt would write a different one after it.
 */
export async function completeWithRetries(
  model: ChatModel,
  request: ModelRequest,
  policy: RetryPolicy,
): Promise<ModelResponse> {
  const sleep = policy.sleep ?? defaultSleep;
  const random = policy.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    stopIfAborted(model, request.signal);
    const seen = { text: false };
    const onText = request.onText;
    const tracked: ModelRequest =
      onText === undefined
        ? request
        : {
            ...request,
            onText: (piece) => {
              seen.text = true;
              onText(piece);
            },
          };
    try {
      return await model.complete(tracked);
    } catch (error) {
      if (!(error instanceof ModelError) || !error.transient || seen.text) throw error;
      if (attempt >= policy.attempts) throw error;
      const delayMs = backoffMs(attempt, error.retryAfterMs, policy, random);
      policy.onRetry?.({ attempt, delayMs, error });
      try {
        await sleep(delayMs, request.signal);
      } catch (sleepError) {
        stopIfAborted(model, request.signal);
        throw sleepError;
      }
    }
  }
}

/**
 * How long to wait after failed attempt `attempt`: Retry-After when the provider gave it, else
 * base·2^(attempt−1) with jitter over its upper half; never more than maxDelayMs.
 */
export function backoffMs(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** An AbortError (whatever reason the caller gave) once `signal` has fired. */
function stopIfAborted(model: ChatModel, signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortError(model.provider, signal);
}

function defaultSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return delay(ms, undefined, signal === undefined ? {} : { signal });
}
