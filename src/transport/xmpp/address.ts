import { UsageError, quote } from '../../errors.ts';

// RFC 7622 §3.3: localpart excludes " & ' / : < > @ and whitespace; domain is a DNS name,
// an IPv4 literal, or an IPv6 literal in brackets; the resource is any non-empty text.
const LOCAL = String.raw`[^\s"&'/:<>@]{1,1023}`;
const LABEL = String.raw`[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?`;
const DOMAIN = String.raw`(?:${LABEL}(?:\.${LABEL})*|\[[0-9A-Fa-f:.]+\])`;
const ADDRESS = new RegExp(String.raw`^(?:(${LOCAL})@)?(${DOMAIN})(?:/(\S.{0,1022}))?$`);

/**
 * Validate a user-typed XMPP address (bare or full JID, or a service domain). A lone word such
 * as "alice" is refused: it is almost always a forgotten @domain, not a server name.
 */
export function parseXmppAddress(input: string): string {
  const match = ADDRESS.exec(input.trim());
  const domain = match?.[2] ?? '';
  const isDomainOnly = match !== null && match[1] === undefined;
  if (!match || (isDomainOnly && !domain.includes('.') && domain !== 'localhost')) {
    throw new UsageError(
      `expected an XMPP address like alice@example.org or a room like room@conference.example.org, got ${quote(input)}`,
    );
  }
  // Domains are case-insensitive (RFC 7622 §3.2); keep local part and resource as typed.
  return `${match[1] !== undefined ? `${match[1]}@` : ''}${domain.toLowerCase()}${match[3] !== undefined ? `/${match[3]}` : ''}`;
}
