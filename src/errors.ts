/**
 * The one error hierarchy. Every failure a user can see is one of these; the CLI maps each
 * class to its documented exit code in src/cli/exit-codes.ts and nowhere else.
 */

/** What kind of failure this is; decides the exit code. */
export type ErrorKind =
  'internal' | 'usage' | 'config' | 'auth' | 'network' | 'refused' | 'remote' | 'interrupted';

/** Protocol detail kept from the layer below (Matrix errcode, XMPP condition, HTTP status). */
export interface ProtocolDetail {
  readonly errcode?: string;
  readonly condition?: string;
  readonly status?: number;
}

/** Base class: a message meant for a person, a kind, and the protocol detail if any. */
export class MxAgentError extends Error {
  readonly kind: ErrorKind = 'internal';
  readonly detail: ProtocolDetail;

  constructor(message: string, options: { cause?: unknown; detail?: ProtocolDetail } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.detail = options.detail ?? {};
  }
}

/** A bug or an unexpected state: exit 1. */
export class InternalError extends MxAgentError {
  override readonly kind = 'internal';
}

/** Bad arguments or input from the user: exit 2. */
export class UsageError extends MxAgentError {
  override readonly kind = 'usage';
}

/** Missing or invalid configuration, unknown profile: exit 3. */
export class ConfigError extends MxAgentError {
  override readonly kind = 'config';
}

/** The server refused our credentials, or proved it is not who it claims: exit 4. */
export class AuthError extends MxAgentError {
  override readonly kind = 'auth';
}

/** Could not reach or stay connected to a server or peer, or a wait timed out: exit 5. */
export class NetworkError extends MxAgentError {
  override readonly kind = 'network';
}

/** A peer or a local policy refused the request: exit 6. */
export class RefusedError extends MxAgentError {
  override readonly kind = 'refused';
}

/** A remote job or tool ran and failed: exit 7. */
export class RemoteFailureError extends MxAgentError {
  override readonly kind = 'remote';
}

/** The user interrupted (SIGINT) or an AbortSignal fired: exit 130. */
export class InterruptedError extends MxAgentError {
  override readonly kind = 'interrupted';
}

/**
 * Quote a value for an error message: a string short, on one line, in quotes (secrets never
 * passed in); anything else as describeValue says (`nothing`, `5`, `a list [1]`).
 */
export function quote(value: unknown): string {
  if (typeof value !== 'string') return describeValue(value);
  const oneLine = value.replace(/\s+/g, ' ');
  return JSON.stringify(oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine);
}

/**
 * What a value from the network or a file is, for "expected …, got …": a number or boolean as
 * itself, else its type and, when short, its JSON (`a list [1]`, `a string "x"`, `an object`),
 * or `nothing` when absent.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const type = Array.isArray(value)
    ? 'a list'
    : value === null
      ? 'null'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  return text !== undefined && text.length <= 60 ? `${type} ${text}` : type;
}

/** The message of anything thrown, for a log line or an error that wraps it. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
