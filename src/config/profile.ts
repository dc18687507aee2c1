import { UsageError, quote } from '../errors.ts';

/** TLS modes of an XMPP client account (see src/transport/xmpp/options.ts). */
export type TlsMode = 'required' | 'starttls' | 'off';

/** An XMPP client account as stored (no secret). */
export interface XmppClientAccount {
  readonly mode: 'client';
  /** Bare JID, e.g. alice@example.org. */
  readonly jid: string;
  readonly host?: string;
  readonly port?: number;
  readonly tls: TlsMode;
  readonly tlsInsecure?: boolean;
  /** Absolute path of an extra trusted CA certificate (PEM). */
  readonly caFile?: string;
  /** Resource to bind; absent means the server picks one per connection. */
  readonly resource?: string;
}

/** An XEP-0114 component account as stored (no secret). */
export interface XmppComponentAccount {
  readonly mode: 'component';
  readonly domain: string;
  readonly host: string;
  readonly port: number;
}

/** Either kind of XMPP account. */
export type XmppAccount = XmppClientAccount | XmppComponentAccount;

/** A Matrix account as stored: one logged-in device (its access token is the secret). */
export interface MatrixAccount {
  readonly mode: 'matrix';
  /** Client-Server API base URL, e.g. https://matrix.example.org. */
  readonly homeserver: string;
  /** Fully qualified user id, e.g. @alice:example.org. */
  readonly userId: string;
  /** The device the login created; its keys live in the profile's crypto store. */
  readonly deviceId: string;
}

/** One stored account. */
export type Profile = {
  readonly name: string;
  /** ISO 8601 time of the login that stored it. */
  readonly createdAt: string;
} & (
  | { readonly network: 'xmpp'; readonly account: XmppAccount }
  | { readonly network: 'matrix'; readonly account: MatrixAccount }
);

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9@._-]{0,127}$/;

/** Validate a profile name. It is also a file name, so no '/', no leading '.', no '..'. */
export function parseProfileName(input: string): string {
  if (!PROFILE_NAME.test(input) || input.includes('..')) {
    throw new UsageError(
      `expected a profile name of letters, digits and @ . _ - (like work or alice@example.org), got ${quote(input)}`,
    );
  }
  return input;
}

/** The address a profile acts as: the Matrix user id, the bare JID, or the component domain. */
export function accountId(profile: Profile): string {
  const { account } = profile;
  if (account.mode === 'matrix') return account.userId;
  return account.mode === 'client' ? account.jid : account.domain;
}
