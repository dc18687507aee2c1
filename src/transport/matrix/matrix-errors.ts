/** Matrix failures in our error kinds. */
import { MatrixError } from 'matrix-js-sdk';
import {
  AuthError,
  InterruptedError,
  NetworkError,
  RefusedError,
  messageOf,
} from '../../errors.ts';
import { backoffMs, isTransient, retryAfterMs } from './sdk.ts';

/** How long to wait before retry `attempt`: what a 429 asks, else capped exponential. */
export function retryDelay(error: unknown, attempt: number): number {
  return retryAfterMs(error) ?? backoffMs(attempt, 10_000);
}

/** True for a refused access token. */
export function isAuthFailure(error: Error): boolean {
  return (
    error instanceof MatrixError &&
    (error.httpStatus === 401 || error.errcode === 'M_UNKNOWN_TOKEN')
  );
}

/** The AuthError for a refused access token. */
export function authError(error: Error): AuthError {
  return new AuthError(`the homeserver refused the access token: ${error.message}`, {
    cause: error,
  });
}

/** Turn an SDK or HTTP failure into our error kinds, saying what we were doing. */
export function mapMatrixError(error: unknown, what: string): Error {
  if (error instanceof InterruptedError || error instanceof NetworkError) return error;
  if (error instanceof MatrixError) {
    const detail = `${error.errcode ?? String(error.httpStatus)}: ${error.data.error ?? error.message}`;
    if (isAuthFailure(error))
      return new AuthError(`could not ${what}: ${detail}`, { cause: error });
    if (isTransient(error))
      return new NetworkError(`could not ${what}: ${detail}`, { cause: error });
    // 403 M_FORBIDDEN, 404 M_NOT_FOUND and every other refusal.
    return new RefusedError(`could not ${what}: ${detail}`, { cause: error });
  }
  return new NetworkError(`could not ${what}: ${messageOf(error)}`, { cause: error });
}
