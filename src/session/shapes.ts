/**
 * Type guards for the transport's data as it crosses the session link. Everything read from
 * the socket comes from JSON.parse, so an object here is already a JSON object; these guards
 * check the shape the interface promises (src/transport/transport.ts).
 */
import { isBlobRef } from '../transport/blob-ref.ts';
export { isBlobRef };
import { agentAskProblem, agentResponseProblem, type AgentAsk } from '../transport/agent-shapes.ts';
import type {
  Advertisement,
  AgentResponse,
  Attachment,
  Availability,
  BlobMeta,
  ConfirmRequest,
  ConnectionState,
  DirectoryEntry,
  DirectoryQuery,
  HistoryQuery,
  JsonObject,
  Member,
  Outbound,
  Payload,
  RoleEntry,
  StateEntry,
  Target,
  WorkspaceInfo,
  WorkspaceRole,
  WorkspaceSettings,
} from '../transport/transport.ts';

/** A plain (JSON) object. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isOptional = (value: unknown, guard: (v: unknown) => boolean): boolean =>
  value === undefined || guard(value);

/** A list of strings. */
export const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every(isString);

const AVAILABILITY: readonly string[] = ['available', 'away', 'busy', 'offline'];
const CONNECTION_STATES: readonly string[] = [
  'offline',
  'connecting',
  'online',
  'reconnecting',
  'closed',
];

/** One of the four availabilities. */
export function isAvailability(value: unknown): value is Availability {
  return isString(value) && AVAILABILITY.includes(value);
}

/** One of the five connection states. */
export function isConnectionState(value: unknown): value is ConnectionState {
  return isString(value) && CONNECTION_STATES.includes(value);
}

/** `{kind: 'direct', address}` or `{kind: 'workspace', workspace}`. */
export function isTarget(value: unknown): value is Target {
  if (!isObject(value)) return false;
  return value.kind === 'direct'
    ? isString(value.address)
    : value.kind === 'workspace' && isString(value.workspace);
}

/** A payload's outer shape; its kind and size are the transport's to judge. */
export function isPayload(value: unknown): value is Payload {
  return (
    isObject(value) &&
    isString(value.kind) &&
    typeof value.version === 'number' &&
    isObject(value.body)
  );
}

/** Text (with its optional edit, mentions, confirm request and id) or a payload to send. */
export function isOutbound(value: unknown): value is Outbound {
  if (!isObject(value)) return false;
  return value.type === 'text'
    ? isString(value.text) &&
        isOptional(value.replaces, isString) &&
        isOptional(value.mentions, isStringList) &&
        isOptional(value.confirm, isConfirmRequest) &&
        isOptional(value.id, isString)
    : value.type === 'payload' && isPayload(value.payload);
}

const RISKS: readonly unknown[] = ['low', 'medium', 'high'];

/** A request for a person's yes or no (urn:fluux:agent:0#confirm). */
export function isConfirmRequest(value: unknown): value is ConfirmRequest {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.action) &&
    typeof value.expires === 'number' &&
    Number.isFinite(value.expires) &&
    isOptional(value.risk, (v) => RISKS.includes(v))
  );
}

/** A file attached to an inbound message: a blob reference or a link, and what is known of it. */
export function isAttachment(value: unknown): value is Attachment {
  return (
    isObject(value) &&
    (value.ref !== undefined || value.url !== undefined) &&
    isOptional(value.ref, isBlobRef) &&
    isOptional(value.url, isString) &&
    isOptional(value.name, isString) &&
    isOptional(value.contentType, isString) &&
    isOptional(value.size, (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)
  );
}

/** Upload metadata. */
export function isBlobMeta(value: unknown): value is BlobMeta {
  return (
    isObject(value) && isOptional(value.contentType, isString) && isOptional(value.name, isString)
  );
}

/** A workspace member. */
export function isMember(value: unknown): value is Member {
  return (
    isObject(value) &&
    isString(value.address) &&
    isAvailability(value.availability) &&
    isOptional(value.account, isString) &&
    isOptional(value.status, isString)
  );
}

/** A list of members. */
export function isMemberList(value: unknown): value is Member[] {
  return Array.isArray(value) && value.every(isMember);
}

/** What a join returns. */
export function isWorkspaceInfo(value: unknown): value is WorkspaceInfo {
  return (
    isObject(value) &&
    isString(value.workspace) &&
    isString(value.self) &&
    typeof value.created === 'boolean' &&
    isMemberList(value.members)
  );
}

/** One durable state document. */
export function isStateEntry(value: unknown): value is StateEntry {
  return (
    isObject(value) &&
    isString(value.type) &&
    isString(value.key) &&
    isObject(value.content) &&
    isOptional(value.sender, isString)
  );
}

/** A HistoryQuery: an optional cursor and an optional positive limit. */
export function isHistoryQuery(value: unknown): value is HistoryQuery {
  return (
    isObject(value) &&
    (value.before === undefined || typeof value.before === 'string') &&
    (value.limit === undefined ||
      (typeof value.limit === 'number' && Number.isSafeInteger(value.limit) && value.limit > 0))
  );
}

const ROLES: readonly string[] = ['owner', 'publisher', 'member'];

/** One of the three workspace roles. */
export function isWorkspaceRole(value: unknown): value is WorkspaceRole {
  return isString(value) && ROLES.includes(value);
}

/** How to create a workspace. */
export function isWorkspaceSettings(value: unknown): value is WorkspaceSettings {
  return (
    isObject(value) &&
    isOptional(value.public, (v) => typeof v === 'boolean') &&
    isOptional(value.title, isString)
  );
}

/** One account's role. */
export function isRoleEntry(value: unknown): value is RoleEntry {
  return isObject(value) && isString(value.account) && isWorkspaceRole(value.role);
}

/** How an account advertises itself. */
export function isAdvertisement(value: unknown): value is Advertisement {
  return (
    isObject(value) &&
    isString(value.name) &&
    (value.kind === 'bot' || value.kind === 'console') &&
    isStringList(value.features) &&
    isObject(value.card)
  );
}

/** A directory search. */
export function isDirectoryQuery(value: unknown): value is DirectoryQuery {
  return isObject(value) && isOptional(value.server, isString) && isOptional(value.text, isString);
}

/** One directory hit. */
export function isDirectoryEntry(value: unknown): value is DirectoryEntry {
  return (
    isObject(value) &&
    (value.kind === 'workspace' || value.kind === 'agent') &&
    isString(value.address) &&
    isOptional(value.name, isString) &&
    isOptional(value.description, isString) &&
    isOptional(value.members, (v) => typeof v === 'number') &&
    isOptional(value.mxAgent, (v) => typeof v === 'boolean') &&
    isOptional(value.features, isStringList)
  );
}

/** The request of an askAgent: list skills, or execute one with string params. */
export function isAgentAsk(value: unknown): value is AgentAsk {
  return agentAskProblem(value) === undefined;
}

/** An agent's answer: skills, a result or an error. */
export function isAgentResponse(value: unknown): value is AgentResponse {
  return agentResponseProblem(value) === undefined;
}
