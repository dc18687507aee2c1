/** Matrix failures in our error kinds. */
import { MatrixError } from 'matrix-js-sdk';
import {
  AuthError,
  InterruptedError,
  NetworkError,
  RefusedError,
  messageOf,
  type ProtocolDetail,
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

/** The protocol detail of a Matrix error response: its errcode and HTTP status. */
export function protocolDetail(error: MatrixError): ProtocolDetail {
  return {
    ...(error.errcode ? { errcode: error.errcode } : {}),
    ...(error.httpStatus ? { status: error.httpStatus } : {}),
  };
}

/** Turn an SDK or HTTP failure into our error kinds, saying what we were doing. */
export function mapMatrixError(error: unknown, what: string): Error {
  if (error instanceof InterruptedError || error instanceof NetworkError) return error;
  if (error instanceof MatrixError) {
    const text = `could not ${what}: ${error.errcode ?? String(error.httpStatus)}: ${error.data.error ?? error.message}`;
    const options = { cause: error, detail: protocolDetail(error) };
    if (isAuthFailure(error)) return new AuthError(text, options);
    if (isTransient(error)) return new NetworkError(text, options);
    // 403 M_FORBIDDEN, 404 M_NOT_FOUND and every other refusal.
    return new RefusedError(text, options);
  }
  return new NetworkError(`could not ${what}: ${messageOf(error)}`, { cause: error });
}
