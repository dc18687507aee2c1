import { resolveSrv } from 'node:dns/promises';
import type { XmppClientOptions } from './options.ts';

/** Where to open the TCP connection, and whether TLS starts on the first byte. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly directTls: boolean;
}

/**
 * RFC 6120 §3.2: with no explicit host, look up `_xmpp-client._tcp.DOMAIN` (or XEP-0368's
 * `_xmpps-client._tcp` for direct TLS) and fall back to the domain itself on the default port.
 */
export async function resolveEndpoint(
  domain: string,
  options: XmppClientOptions,
): Promise<Endpoint> {
  const directTls = options.tls === 'required';
  const defaultPort = directTls ? 5223 : 5222;
  if (options.host) return { host: options.host, port: options.port ?? defaultPort, directTls };
  try {
    const records = await resolveSrv(`_${directTls ? 'xmpps' : 'xmpp'}-client._tcp.${domain}`);
    const best = records
      .filter((r) => r.name !== '.')
      .sort((a, b) => a.priority - b.priority || b.weight - a.weight)[0];
    if (best) return { host: best.name, port: options.port ?? best.port, directTls };
  } catch {
    // No SRV record is normal for small servers.
  }
  return { host: domain, port: options.port ?? defaultPort, directTls };
}
