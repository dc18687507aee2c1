/**
 * An IQ that failed, as one of our errors: the peer or server said no (RefusedError), or it could
 * not be reached or did not answer (NetworkError). The stanza error condition (RFC 6120 §8.3.3)
 * is kept in `detail.condition`.
 */
import { MxAgentError, NetworkError, RefusedError, messageOf } from '../../errors.ts';

/** Conditions meaning "nobody there to ask", not "they said no". */
const UNREACHABLE = new Set([
  'remote-server-not-found',
  'remote-server-timeout',
  'service-unavailable',
  'recipient-unavailable',
]);

/** The stanza error condition of a failed IQ (xmpp.js StanzaError), if it was one. */
export function conditionOf(error: unknown): string | undefined {
  const condition = (error as { condition?: unknown } | null)?.condition;
  return typeof condition === 'string' ? condition : undefined;
}

/** True when the failure is an authorization refusal (forbidden and friends). */
export function isForbidden(error: unknown): boolean {
  const condition = conditionOf(error);
  return condition === 'forbidden' || condition === 'not-allowed' || condition === 'not-authorized';
}

/**
 * `what failed: condition (server text)[; hint]` as RefusedError or NetworkError. Our own
 * errors pass through unchanged.
 */
export function iqFailure(error: unknown, what: string, hint?: string): MxAgentError {
  if (error instanceof MxAgentError) return error;
  const condition = conditionOf(error);
  if (condition === undefined) {
    const timedOut = (error as { name?: string } | null)?.name === 'TimeoutError';
    return new NetworkError(`${what} failed: ${timedOut ? 'no answer' : messageOf(error)}`, {
      cause: error,
    });
  }
  const text = (error as { text?: unknown }).text;
  const said = typeof text === 'string' && text !== '' ? ` (${text})` : '';
  const message = `${what} failed: ${condition}${said}${hint ? `; ${hint}` : ''}`;
  const Kind = UNREACHABLE.has(condition) ? NetworkError : RefusedError;
  return new Kind(message, { cause: error, detail: { condition } });
}
