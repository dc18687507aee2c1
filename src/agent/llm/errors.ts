/**
 * Turning what a provider's client library throws into a ModelError (or an AbortError), the
 * same way for every provider: which failures are worth retrying, how long the server asked us
 * to wait, and a message that says what failed without ever carrying the API key.
 */
import { ModelError } from './types.ts';

/**
 * HTTP statuses worth retrying: 408 Request Timeout, 409 Conflict (Anthropic and OpenAI both
 * document it as "retry"), 429 Too Many Requests (RFC 6585 §4), every 5xx, and Anthropic's
 * 529 overloaded.
 */
export function transientStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || (status >= 500 && status <= 599);
}

/** Error `type`s that say "try again later" whatever the status (Anthropic's stream `error` event). */
const TRANSIENT_TYPES = new Set(['overloaded_error', 'rate_limit_error', 'api_error']);

/** Whether an error type reported in a body (or a stream event) is worth retrying. */
export function transientType(type: string | undefined): boolean {
  return type !== undefined && TRANSIENT_TYPES.has(type);
}

/**
 * How long the server asked us to wait: `retry-after-ms` (milliseconds, sent by Anthropic and
 * OpenAI), else `retry-after` as seconds or an HTTP date (RFC 9110 §10.2.3). `now` is for tests.
 */
export function retryAfterMs(
  headers: { get(name: string): string | null } | undefined,
  now: number = Date.now(),
): number | undefined {
  if (headers === undefined) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Node's codes for a connection that failed or dropped (libuv and undici). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/**
 * The network failure behind an error (a code like ECONNREFUSED, or undici's "terminated"
 * when a response body stops half way), looking down the `cause` chain; undefined if none.
 */
export function networkFailure(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return current.message || code;
    if (current.message === 'terminated' || current.message === 'fetch failed')
      return describeCause(current);
    current = current.cause;
  }
  return undefined;
}

function describeCause(error: Error): string {
  const cause = error.cause;
  return cause instanceof Error && cause.message !== ''
    ? `${error.message}: ${cause.message}`
    : error.message;
}

/** What was thrown, as an AbortError: the call was stopped by its caller (/stop, shutdown). */
export function abortError(provider: string, signal: AbortSignal): DOMException {
  const error = new DOMException(`${provider}: the model call was stopped`, 'AbortError');
  Object.defineProperty(error, 'cause', { value: signal.reason as unknown });
  return error;
}

/** Whether `error` is an AbortError (a DOMException or any Error so named). */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** An error body's `type` and `message`, in the shapes the providers use. */
export interface ErrorBody {
  readonly type?: string;
  readonly message?: string;
}

/**
 * A ModelError for an HTTP error response. `transient` overrides what the status says (a 429
 * for an exhausted quota is not worth retrying).
 */
export function httpError(
  provider: string,
  status: number,
  body: ErrorBody,
  headers: { get(name: string): string | null } | undefined,
  cause: unknown,
  transient: boolean = transientStatus(status) || transientType(body.type),
): ModelError {
  const detail = [body.type, body.message]
    .filter((part) => part !== undefined && part !== '')
    .map((part) => oneLine(part ?? ''));
  const wait = retryAfterMs(headers);
  return new ModelError(
    `${provider}: HTTP ${String(status)}${detail.length > 0 ? ` ${detail.join(': ')}` : ''}`,
    {
      transient,
      status,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
      cause,
    },
  );
}

/** Error text from a server (maybe a whole HTML page) on one line, at most 300 characters. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

/** A ModelError for a connection that could not be made or broke. Always transient. */
export function connectionError(
  provider: string,
  where: string,
  detail: string,
  cause: unknown,
): ModelError {
  return new ModelError(`${provider}: the connection to ${where} failed: ${detail}`, {
    transient: true,
    cause,
  });
}

/** `url` without user name and password, for messages. */
export function displayUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/$/, '');
}

/** `error` with every occurrence of `secret` in its message replaced (keys never reach logs). */
export function withoutSecret<T extends Error>(error: T, secret: string): T {
  if (secret.length < 4 || !error.message.includes(secret)) return error;
  Object.defineProperty(error, 'message', {
    value: error.message.split(secret).join('[api key]'),
    configurable: true,
    writable: true,
  });
  return error;
}
