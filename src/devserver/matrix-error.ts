/**
 * A Client-Server API error response: an HTTP status and a `{ errcode, error }` body
 * (Matrix spec v1.11, "Standard error response").
 */
export class MatrixError extends Error {
  readonly status: number;
  readonly errcode: string;
  /** Extra fields of the error body (e.g. `retry_after_ms`, UIA `flows`). */
  readonly extra: Record<string, unknown>;

  constructor(
    status: number,
    errcode: string,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = status;
    this.errcode = errcode;
    this.extra = extra;
  }

  /** The JSON body the spec describes (a UIA challenge has no errcode: pass ''). */
  body(): Record<string, unknown> {
    return {
      ...(this.errcode ? { errcode: this.errcode, error: this.message } : {}),
      ...this.extra,
    };
  }
}

export const badJson = (message: string): MatrixError =>
  new MatrixError(400, 'M_BAD_JSON', message);
export const forbidden = (message: string): MatrixError =>
  new MatrixError(403, 'M_FORBIDDEN', message);
