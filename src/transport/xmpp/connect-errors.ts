import { AuthError, MxAgentError, NetworkError } from '../../errors.ts';
import { formatMs } from '../deadline.ts';

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running and the port right?)',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
};

/**
 * Turn whatever a failed connection attempt produced (socket error, TLS error, stream error,
 * our own policy errors) into an MxAgentError that says what failed and what to do.
 */
export function toConnectError(error: unknown, where: string, timeoutMs: number): MxAgentError {
  if (error instanceof MxAgentError) return error;
  const err = error as { code?: string; condition?: string; message?: string; name?: string };
  const code = err.code ?? '';
  if (code === 'ETIMEDOUT' || err.name === 'TimeoutError') {
    return new NetworkError(
      `could not connect to ${where}: no answer within ${formatMs(timeoutMs)}`,
      { cause: error },
    );
  }
  if (code in NETWORK_CODES) {
    return new NetworkError(`could not connect to ${where}: ${NETWORK_CODES[code] ?? code}`, {
      cause: error,
    });
  }
  if (
    code.startsWith('ERR_TLS') ||
    code.includes('CERT') ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN'
  ) {
    return new NetworkError(
      `could not connect to ${where}: the server's TLS certificate did not verify (${code}); pass --ca-file for a private CA, or --tls-insecure for development only`,
      { cause: error, detail: { condition: code } },
    );
  }
  if (err.condition) {
    // RFC 6120 §4.9.3 stream error conditions.
    const authLike = err.condition === 'not-authorized' || err.condition === 'policy-violation';
    const Kind = authLike ? AuthError : NetworkError;
    return new Kind(
      `the server at ${where} closed the stream: ${err.condition}${err.message && err.message !== err.condition ? ` (${err.message})` : ''}`,
      {
        cause: error,
        detail: { condition: err.condition },
      },
    );
  }
  return new NetworkError(`could not connect to ${where}: ${err.message ?? String(error)}`, {
    cause: error,
  });
}
