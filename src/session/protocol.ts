/**
 * The session link: how CLI processes talk to the profile's session host over a Unix socket.
 * JSON Lines, one message per line, versioned by the `hello` handshake:
 *
 *   client → host   {"id": 7, "method": "send", "params": {…}}
 *   host → client   {"id": 7, "result": …}  or  {"id": 7, "error": {"kind", "message", "detail"?}}
 *                   {"event": TransportEvent, "address"?: …, "members"?: […]}   (pushed)
 *                   {"bye": "why the host is going away"}                     (pushed, last)
 *
 * An error's `kind` is the MxAgentError kind, so the client rethrows the same class and the
 * command exits with the same code as if it had held the connection itself.
 */
import {
  AuthError,
  ConfigError,
  InternalError,
  InterruptedError,
  MxAgentError,
  NetworkError,
  RefusedError,
  RemoteFailureError,
  UsageError,
  describeValue,
  messageOf,
  type ErrorKind,
  type ProtocolDetail,
} from '../errors.ts';
import type { HistoryPage, JsonObject, Member, TransportEvent } from '../transport/transport.ts';
import {
  isAttachment,
  isAvailability,
  isConfirmRequest,
  isConnectionState,
  isMemberList,
  isObject,
  isPayload,
  isStringList,
  isTarget,
} from './shapes.ts';

/** Bumped on any incompatible change; client and host must agree (checked by `hello`). */
export const PROTOCOL_VERSION = 1;

/** The `detail.condition` of the error a stopping host answers with; clients retry on it. */
export const STOPPING_CONDITION = 'session-host-stopping';

/** The longest line either side accepts: a blob travels base64-encoded in one line. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** What a client asks of the host itself. */
export const HOST_METHODS = [
  'hello',
  'status',
  'stop',
  'subscribe',
  'unsubscribe',
  'cancel',
  'refresh',
] as const;

/** The Transport methods a client calls through the host (src/transport/transport.ts). */
export const TRANSPORT_METHODS = [
  'resolveTarget',
  'send',
  'joinWorkspace',
  'leaveWorkspace',
  'setPresence',
  'putBlob',
  'getBlob',
  'putState',
  'getState',
  'listState',
  'history',
  'createWorkspace',
  'invite',
  'setRole',
  'roles',
  'advertise',
  'searchDirectory',
  'askAgent',
  'setTyping',
  'react',
] as const;

/** Everything a client may ask. */
export const METHODS = [...HOST_METHODS, ...TRANSPORT_METHODS] as const;

/** A method name. */
export type Method = (typeof METHODS)[number];

/** A Transport method name. */
export type TransportMethod = (typeof TRANSPORT_METHODS)[number];

/** True for the methods the host passes on to its transport. */
export function isTransportMethod(method: Method): method is TransportMethod {
  return (TRANSPORT_METHODS as readonly string[]).includes(method);
}

/** One request line. */
export interface Request {
  readonly id: number;
  readonly method: Method;
  readonly params: JsonObject;
}

/** An error as it crosses the link. */
export interface WireError {
  readonly kind: ErrorKind;
  readonly message: string;
  readonly detail?: ProtocolDetail;
}

/** A transport event on the wire: a connection event's Error becomes a WireError. */
export type WireEvent =
  | Exclude<TransportEvent, { type: 'connection' }>
  | (Omit<Extract<TransportEvent, { type: 'connection' }>, 'error'> & { error?: WireError });

/** One line from host to client. */
export type HostMessage =
  | { readonly id: number; readonly result: unknown }
  | { readonly id?: number; readonly error: WireError }
  | {
      readonly event: WireEvent;
      /** With connection events: the host's address now. */
      readonly address?: string;
      /** With workspace presence: the workspace's members after the change. */
      readonly members?: readonly Member[];
    }
  | { readonly bye: string };

/** What a host started in the background reports on its stdout, once. */
export type Readiness =
  | { readonly ready: true; readonly pid: number; readonly address: string }
  | { readonly ready: false; readonly running: { readonly pid: number } }
  | { readonly ready: false; readonly error: WireError };

const KINDS: Record<
  ErrorKind,
  new (message: string, options?: { detail?: ProtocolDetail }) => MxAgentError
> = {
  internal: InternalError,
  usage: UsageError,
  config: ConfigError,
  auth: AuthError,
  network: NetworkError,
  refused: RefusedError,
  remote: RemoteFailureError,
  interrupted: InterruptedError,
};

const isKind = (value: unknown): value is ErrorKind => typeof value === 'string' && value in KINDS;

/** Any thrown value as a WireError; what is not ours is an internal error. */
export function toWireError(error: unknown): WireError {
  if (!(error instanceof MxAgentError)) return { kind: 'internal', message: messageOf(error) };
  const { errcode, condition, status } = error.detail;
  const detail = {
    ...(errcode === undefined ? {} : { errcode }),
    ...(condition === undefined ? {} : { condition }),
    ...(status === undefined ? {} : { status }),
  };
  return {
    kind: error.kind,
    message: error.message,
    ...(Object.keys(detail).length > 0 ? { detail } : {}),
  };
}

/** The error of the same class as the one thrown in the host. */
export function fromWireError(wire: WireError): MxAgentError {
  const ErrorClass = KINDS[wire.kind];
  return new ErrorClass(wire.message, wire.detail === undefined ? {} : { detail: wire.detail });
}

/** A WireError, validated. */
export function isWireError(value: unknown): value is WireError {
  return (
    isObject(value) &&
    isKind(value.kind) &&
    typeof value.message === 'string' &&
    (value.detail === undefined || isObject(value.detail))
  );
}

/** A transport event for the wire. */
export function toWireEvent(event: TransportEvent): WireEvent {
  if (event.type !== 'connection') return event;
  const { error, ...rest } = event;
  return error === undefined ? rest : { ...rest, error: toWireError(error) };
}

/** A transport event from the wire. */
export function fromWireEvent(event: WireEvent): TransportEvent {
  if (event.type !== 'connection') return event;
  const { error, ...rest } = event;
  return error === undefined ? rest : { ...rest, error: fromWireError(error) };
}

/** A WireEvent, validated by its `type` tag. */
export function isWireEvent(value: unknown): value is WireEvent {
  if (!isObject(value) || typeof value.type !== 'string') return false;
  switch (value.type) {
    case 'text':
    case 'payload':
      return (
        typeof value.id === 'string' &&
        typeof value.from === 'string' &&
        isTarget(value.target) &&
        typeof value.timestamp === 'number' &&
        typeof value.delayed === 'boolean' &&
        (value.type === 'text' ? isTextContent(value) : isPayload(value.payload))
      );
    case 'reaction':
      return (
        typeof value.id === 'string' &&
        typeof value.from === 'string' &&
        isTarget(value.target) &&
        typeof value.reactsTo === 'string' &&
        isStringList(value.emojis) &&
        typeof value.timestamp === 'number'
      );
    case 'confirmation':
      return (
        typeof value.from === 'string' &&
        isTarget(value.target) &&
        typeof value.confirm === 'string' &&
        (value.decision === 'approve' || value.decision === 'deny')
      );
    case 'presence':
      return (
        typeof value.from === 'string' &&
        isAvailability(value.availability) &&
        (value.workspace === undefined || typeof value.workspace === 'string') &&
        (value.status === undefined || typeof value.status === 'string')
      );
    case 'connection':
      return (
        isConnectionState(value.state) &&
        (value.error === undefined || isWireError(value.error)) &&
        (value.retryInMs === undefined || typeof value.retryInMs === 'number')
      );
    case 'rejected':
      return (
        typeof value.reason === 'string' &&
        (value.from === undefined || typeof value.from === 'string')
      );
    default:
      return false;
  }
}

/** The content fields of inbound text: the text and its optional chat extras. */
function isTextContent(value: JsonObject): boolean {
  return (
    typeof value.text === 'string' &&
    (value.mentions === undefined || isStringList(value.mentions)) &&
    (value.attachments === undefined ||
      (Array.isArray(value.attachments) && value.attachments.every(isAttachment))) &&
    (value.replaces === undefined || typeof value.replaces === 'string') &&
    (value.confirm === undefined || isConfirmRequest(value.confirm))
  );
}

const MESSAGE_TYPES: ReadonlySet<string> = new Set(['text', 'payload']);

/** A HistoryPage as the host answers it: messages that are inbound text or payloads. */
export function isHistoryPage(value: unknown): value is HistoryPage {
  return (
    isObject(value) &&
    Array.isArray(value.messages) &&
    value.messages.every((m) => isWireEvent(m) && MESSAGE_TYPES.has(m.type)) &&
    (value.next === undefined || typeof value.next === 'string') &&
    typeof value.unreadable === 'number'
  );
}

/** A parsed line, or why it is not one. */
export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string; readonly id?: number };

const isMethod = (value: unknown): value is Method =>
  typeof value === 'string' && (METHODS as readonly string[]).includes(value);

const isId = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

function parseJson(line: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(line) };
  } catch {
    return { ok: false, reason: `expected one JSON object per line, got ${describeLine(line)}` };
  }
}

/** Read one request line (host side). */
export function parseRequest(line: string): Parsed<Request> {
  const json = parseJson(line);
  if (!json.ok) return json;
  const value = json.value;
  if (!isObject(value))
    return { ok: false, reason: `expected a request object, got ${describeValue(value)}` };
  if (!isId(value.id))
    return {
      ok: false,
      reason: `expected "id" to be a positive integer, got ${describeValue(value.id)}`,
    };
  const id = value.id;
  const method = value.method;
  if (!isMethod(method))
    return {
      ok: false,
      id,
      reason: `expected "method" to be one of ${METHODS.join(', ')}; got ${describeValue(method)}`,
    };
  const params = value.params ?? {};
  if (!isObject(params))
    return {
      ok: false,
      id,
      reason: `expected "params" to be an object, got ${describeValue(params)}`,
    };
  return { ok: true, value: { id, method, params } };
}

/** Read one line from the host (client side). */
export function parseHostMessage(line: string): Parsed<HostMessage> {
  const json = parseJson(line);
  if (!json.ok) return json;
  const value = json.value;
  if (!isObject(value))
    return { ok: false, reason: `expected an object, got ${describeValue(value)}` };
  if ('result' in value && isId(value.id))
    return { ok: true, value: { id: value.id, result: value.result } };
  if ('error' in value && isWireError(value.error) && (value.id === undefined || isId(value.id)))
    return {
      ok: true,
      value: value.id === undefined ? { error: value.error } : { id: value.id, error: value.error },
    };
  if ('event' in value && isWireEvent(value.event)) {
    if (value.address !== undefined && typeof value.address !== 'string')
      return {
        ok: false,
        reason: `expected "address" to be a string, got ${describeValue(value.address)}`,
      };
    if (value.members !== undefined && !isMemberList(value.members))
      return { ok: false, reason: 'expected "members" to be a list of members' };
    return {
      ok: true,
      value: {
        event: value.event,
        ...(value.address === undefined ? {} : { address: value.address }),
        ...(value.members === undefined ? {} : { members: value.members }),
      },
    };
  }
  if (typeof value.bye === 'string') return { ok: true, value: { bye: value.bye } };
  return {
    ok: false,
    reason: `expected a result, an error, an event or a bye, got ${describeLine(line)}`,
  };
}

/** Read the readiness line of a host started in the background. */
export function parseReadiness(line: string): Parsed<Readiness> {
  const json = parseJson(line);
  if (!json.ok) return json;
  const v = json.value;
  if (isObject(v) && v.ready === true && isId(v.pid) && typeof v.address === 'string')
    return { ok: true, value: { ready: true, pid: v.pid, address: v.address } };
  if (isObject(v) && v.ready === false && isObject(v.running) && isId(v.running.pid))
    return { ok: true, value: { ready: false, running: { pid: v.running.pid } } };
  if (isObject(v) && v.ready === false && isWireError(v.error))
    return { ok: true, value: { ready: false, error: v.error } };
  return { ok: false, reason: `expected a readiness report, got ${describeLine(line)}` };
}

/** One line on the wire. */
export function encodeLine(message: object): string {
  return `${JSON.stringify(message)}\n`;
}

function describeLine(line: string): string {
  const oneLine = line.replace(/\s+/g, ' ');
  return JSON.stringify(oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine);
}
