/** How an XMPP transport connects: a client account (C2S) or an external component (XEP-0114). */
export type XmppTlsMode = 'required' | 'starttls' | 'off';

/** A client account: `jid` is a bare JID such as alice@example.org. */
export interface XmppClientOptions {
  readonly mode: 'client';
  readonly jid: string;
  readonly password: string;
  /** Server host to connect to; defaults to the JID's domain. */
  readonly host?: string;
  /** Port; defaults to 5222 (5223 for direct TLS). */
  readonly port?: number;
  /**
   * `starttls` (default): upgrade with STARTTLS and refuse a server that does not offer it.
   * `required`: direct TLS from the first byte (XEP-0368). `off`: no TLS (loopback development).
   */
  readonly tls?: XmppTlsMode;
  /** Skip certificate verification (development only; the CLI warns). */
  readonly tlsInsecure?: boolean;
  /** Extra trusted CA certificates (PEM text), e.g. a self-signed development server. */
  readonly ca?: string;
  /** Resource to bind; the server picks one when absent. */
  readonly resource?: string;
}

/** An external component: `domain` such as agent.example.org, authenticated with a shared secret. */
export interface XmppComponentOptions {
  readonly mode: 'component';
  readonly domain: string;
  readonly secret: string;
  readonly host: string;
  readonly port: number;
}

/** Knobs shared by both modes. */
export interface XmppCommonOptions {
  /** Software name and version answered to XEP-0092 queries. */
  readonly software?: { readonly name: string; readonly version: string };
  /** Nickname used in workspaces (MUC); defaults to the JID's local part. */
  readonly nick?: string;
  /** Timeout of one connection attempt, in ms (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** Reconnect backoff bounds, in ms (defaults 500 and 30 000). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Milliseconds our agent request handler may take per request (default 5 minutes). */
  readonly agentDeadlineMs?: number;
  /** Log every stanza in and out at debug level (SASL exchanges redacted). */
  readonly trace?: boolean;
  /** Called with diagnostics that a verbose CLI prints; never contains secrets. */
  readonly log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
}

/** Everything needed to build an XMPP transport. */
export type XmppTransportOptions = (XmppClientOptions | XmppComponentOptions) & XmppCommonOptions;

/** The nick we ask for in rooms: the option, else the JID's local part or the component's first label. */
export function defaultNick(options: XmppTransportOptions): string {
  const fromAddress =
    options.mode === 'client' ? options.jid.split('@')[0] : options.domain.split('.')[0];
  return options.nick ?? (fromAddress || 'agent');
}

/** The server's domain: the JID's domain, or the component domain's parent. */
export function serverDomain(options: XmppTransportOptions): string {
  return options.mode === 'client'
    ? (options.jid.split('@')[1] ?? '')
    : options.domain.replace(/^[^.]+\./, '');
}
