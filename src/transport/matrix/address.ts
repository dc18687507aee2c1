/**
 * Matrix identifiers as users type them (spec: Appendices, "Identifier Grammar"): user ids
 * `@localpart:server`, room aliases `#alias:server`, room ids `!opaque:server`.
 */
import { UsageError, quote } from '../../errors.ts';

// server_name = hostname [ ":" port ]; hostname is a DNS name, IPv4 or [IPv6].
const SERVER = String.raw`(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?`;
// Historical user ids allow any printable ASCII except ':'; new ones are [a-z0-9._=/+-].
const USER_ID = new RegExp(String.raw`^@[\x21-\x39\x3b-\x7e]+:${SERVER}$`);
const ROOM_ALIAS = new RegExp(String.raw`^#[^:\s]+:${SERVER}$`);
const ROOM_ID = new RegExp(String.raw`^![\x21-\x39\x3b-\x7e]+:${SERVER}$|^![A-Za-z0-9+/_-]{10,}$`);
const SERVER_NAME = new RegExp(`^${SERVER}$`);
const MAX_ID_BYTES = 255;

/** True for a server name (spec: Appendices, "Server Name"). */
export function isServerName(input: string): boolean {
  return input.length <= MAX_ID_BYTES && SERVER_NAME.test(input);
}

/** True for a syntactically valid Matrix user id. */
export function isUserId(input: string): boolean {
  return Buffer.byteLength(input) <= MAX_ID_BYTES && USER_ID.test(input);
}

/** True for a room alias or a room id. */
export function isRoomReference(input: string): boolean {
  return (
    Buffer.byteLength(input) <= MAX_ID_BYTES && (ROOM_ALIAS.test(input) || ROOM_ID.test(input))
  );
}

/** Check a user id or throw UsageError naming the expected form. */
export function parseUserId(input: string): string {
  if (!isUserId(input)) {
    throw new UsageError(`expected a Matrix user id like @alice:example.org, got ${quote(input)}`);
  }
  return input;
}

/** Check a workspace reference (alias or room id) or throw UsageError. */
export function parseRoomReference(input: string): string {
  if (!isRoomReference(input)) {
    throw new UsageError(
      `expected a Matrix room alias like #team:example.org or a room id like !abc:example.org, got ${quote(input)}`,
    );
  }
  return input;
}

/** The server part of a user id, alias or room id (everything after the first ':'). */
export function serverOf(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}

/** The local part of a user id or alias, without its sigil. */
export function localpartOf(id: string): string {
  return id.slice(1, id.indexOf(':'));
}
