/**
 * Parsing what a user types for an XMPP account, and turning a stored account into transport
 * options. Validation errors say what was expected and what arrived (style.md).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, UsageError, quote, messageOf } from '../errors.ts';
import { isXmppDomain, isXmppLocalpart, isXmppResource } from '../transport/xmpp/address.ts';
import type { XmppTransportOptions } from '../transport/xmpp/options.ts';
import type { Profile, TlsMode, XmppAccount } from './profile.ts';

const TLS_MODES: readonly TlsMode[] = ['starttls', 'required', 'off'];

/** A bare JID such as alice@example.org (domain lower-cased), or UsageError naming the form. */
export function parseJid(input: string): string {
  const wrong = (): UsageError =>
    new UsageError(`expected an XMPP address like alice@example.org, got ${quote(input)}`);
  const at = input.indexOf('@');
  if (at > 0 && input.indexOf('/', at) > at) {
    throw new UsageError(
      `expected a bare XMPP address like alice@example.org (give the resource with --resource), got ${quote(input)}`,
    );
  }
  const parts = input.split('@');
  if (parts.length !== 2) throw wrong();
  const [local = '', domain = ''] = parts;
  if (!isXmppLocalpart(local) || !isXmppDomain(domain)) throw wrong();
  return `${local}@${domain.toLowerCase()}`;
}

/** A server or component domain such as agent.example.org (lower-cased). */
export function parseDomain(input: string, what = 'a domain like agent.example.org'): string {
  if (!isXmppDomain(input)) throw new UsageError(`expected ${what}, got ${quote(input)}`);
  return input.toLowerCase();
}

/** A TCP port, 1-65535. */
export function parsePort(input: string): number {
  const port = Number(input);
  if (!/^\d{1,5}$/.test(input) || port < 1 || port > 65535)
    throw new UsageError(`expected --port to be a number from 1 to 65535, got ${quote(input)}`);
  return port;
}

/** One of the TLS modes of src/transport/xmpp/options.ts. */
export function parseTlsMode(input: string): TlsMode {
  const mode = TLS_MODES.find((m) => m === input);
  if (mode === undefined)
    throw new UsageError(
      `expected --tls to be one of ${TLS_MODES.join(', ')}, got ${quote(input)}`,
    );
  return mode;
}

/** An XMPP resource: any non-empty text without whitespace at the ends, at most 1023 octets. */
export function parseResource(input: string): string {
  if (input.trim() !== input || !isXmppResource(input))
    throw new UsageError(
      `expected --resource to be a non-empty name like laptop, got ${quote(input)}`,
    );
  return input;
}

/** True for hosts on this machine: localhost, 127.0.0.0/8, ::1. Plaintext is tolerable only there. */
export function isLoopbackHost(host: string): boolean {
  return (
    host === 'localhost' ||
    host === '::1' ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

/** The host a client account connects to when none was given: its domain. */
export function accountHost(account: XmppAccount): string {
  if (account.mode === 'component') return account.host;
  return account.host ?? account.jid.slice(account.jid.indexOf('@') + 1);
}

/** Transport options for a stored profile and its secret (the CA file is read here). */
export function toTransportOptions(profile: Profile, secret: string): XmppTransportOptions {
  const { account } = profile;
  if (account.mode === 'matrix') {
    throw new UsageError(`profile "${profile.name}" is a Matrix account, not an XMPP one`);
  }
  if (account.mode === 'component') {
    const { domain, host, port } = account;
    return { mode: 'component', domain, host, port, secret };
  }
  const { caFile, ...rest } = account;
  return {
    ...rest,
    password: secret,
    ...(caFile === undefined ? {} : { ca: readCaFile(caFile) }),
  };
}

function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the CA file ${file}: ${messageOf(error)}`, { cause: error });
  }
}
