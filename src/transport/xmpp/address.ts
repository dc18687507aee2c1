/**
 * The XMPP address grammar (RFC 7622), in one place: the transport validates user-typed targets
 * with it and src/config validates login input with it.
 */
import { UsageError, quote } from '../../errors.ts';

// §3.3.1: a localpart excludes " & ' / : < > @ and whitespace. §3.2: the domain is a DNS name,
// an IPv4 literal or a bracketed IPv6 literal. Each part is at most 1023 octets.
const LOCALPART = /^[^\s"&'/:<>@]+$/;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const IPV6_LITERAL = /^\[[0-9A-Fa-f:.]+\]$/;
const MAX_PART = 1023;

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** True for a valid localpart (the part before '@'). */
export function isXmppLocalpart(local: string): boolean {
  return LOCALPART.test(local) && bytes(local) <= MAX_PART;
}

/**
 * True for a domain we accept. A lone word other than "localhost" is refused: it is almost
 * always a forgotten @domain ("alice"), not a server name.
 */
export function isXmppDomain(domain: string): boolean {
  if (domain === '' || bytes(domain) > MAX_PART) return false;
  if (IPV6_LITERAL.test(domain)) return true;
  return DNS_NAME.test(domain) && (domain.includes('.') || domain.toLowerCase() === 'localhost');
}

/** True for a valid resource (the part after the first '/'). */
export function isXmppResource(resource: string): boolean {
  return resource !== '' && !/^\s/.test(resource) && bytes(resource) <= MAX_PART;
}

/**
 * Validate a user-typed XMPP address (bare or full JID, or a service domain) and normalise it:
 * the domain is lower-cased (§3.2); localpart and resource stay as typed.
 */
export function parseXmppAddress(input: string): string {
  const text = input.trim();
  // §3.1: the resource starts at the first '/', and may itself contain '@' and '/'.
  const slash = text.indexOf('/');
  const bare = slash < 0 ? text : text.slice(0, slash);
  const resource = slash < 0 ? undefined : text.slice(slash + 1);
  const parts = bare.split('@');
  const local = parts.length === 2 ? parts[0] : undefined;
  const domain = parts.at(-1) ?? '';
  const valid =
    parts.length <= 2 &&
    (local === undefined || isXmppLocalpart(local)) &&
    isXmppDomain(domain) &&
    (resource === undefined || isXmppResource(resource));
  if (!valid) {
    throw new UsageError(
      `expected an XMPP address like alice@example.org or a room like room@conference.example.org, got ${quote(input)}`,
    );
  }
  return `${local === undefined ? '' : `${local}@`}${domain.toLowerCase()}${resource === undefined ? '' : `/${resource}`}`;
}

/** Validate a room address (a bare JID with a local part) and normalise it. */
export function parseRoomAddress(input: string): string {
  const room = parseXmppAddress(input);
  if (!room.includes('@') || room.includes('/'))
    throw new UsageError(
      `expected a room address like room@conference.example.org, got ${quote(input)}`,
    );
  return room;
}

/**
 * Validate an account address and return its bare JID (a component's domain counts as one). A
 * full JID, such as a transport's own address, stands for its account: affiliations and
 * invitations are per account (XEP-0045 §5.2), so the resource is dropped.
 */
export function parseAccountAddress(input: string): string {
  try {
    return parseXmppAddress(input).split('/')[0] ?? '';
  } catch {
    throw new UsageError(`expected an XMPP address like alice@example.org, got ${quote(input)}`);
  }
}

/** Validate a server or service domain to search (no local part, no resource). */
export function parseServiceAddress(input: string): string {
  const domain = input.trim().toLowerCase();
  if (!isXmppDomain(domain))
    throw new UsageError(`expected a server domain like example.org, got ${quote(input)}`);
  return domain;
}
