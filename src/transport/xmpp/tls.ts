/**
 * TLS policy (RFC 6120 §5, XEP-0368). `starttls` (default): upgrade, and refuse a server that
 * does not offer STARTTLS rather than silently continuing in clear. `required`: direct TLS.
 * `off`: never TLS (loopback development). Certificates are verified against the JID's domain
 * unless the user explicitly opted out.
 */
import type { ConnectionOptions } from 'node:tls';
import type { Client } from '@xmpp/client-core';
import type { Middleware } from '@xmpp/middleware';
import type { StreamFeatures } from '@xmpp/stream-features';
import ConnectionTLS from '@xmpp/tls/lib/Connection.js';
import TlsSocket from '@xmpp/tls/lib/Socket.js';
import { xml } from '@xmpp/xml';
import { NetworkError } from '../../errors.ts';
import type { XmppClientOptions } from './options.ts';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_STREAM = 'http://etherx.jabber.org/streams';

function tlsOptions(domain: string, options: XmppClientOptions): ConnectionOptions {
  return {
    // RFC 6125 / RFC 7590: the certificate must match the JID's domain, not the host we dialled.
    servername: domain,
    rejectUnauthorized: options.tlsInsecure !== true,
    ...(options.ca ? { ca: options.ca } : {}),
  };
}

/** The xmpps:// transport with our certificate settings (xmpp.js calls it on the prototype). */
export function directTlsTransport(
  domain: string,
  options: XmppClientOptions,
): typeof ConnectionTLS {
  const extra = tlsOptions(domain, options);
  return class DirectTls extends ConnectionTLS {
    override socketParameters(service: string): Record<string, unknown> | undefined {
      const params = super.socketParameters(service);
      return params && { ...params, ...extra };
    }
  };
}

/** Install the STARTTLS handler and the check that refuses to go on unencrypted. */
export function useTlsPolicy(
  mw: Middleware,
  features: StreamFeatures,
  domain: string,
  options: XmppClientOptions,
): void {
  const mode = options.tls ?? 'starttls';
  mw.use((ctx, next) => {
    const entity = ctx.entity as Client;
    if (
      mode !== 'off' &&
      ctx.stanza.is('features', NS_STREAM) &&
      !entity.isSecure() &&
      !ctx.stanza.getChild('starttls', NS_TLS)
    ) {
      throw new NetworkError(
        `the server for ${domain} does not offer STARTTLS; refusing to continue unencrypted (use --tls off only for a server on loopback)`,
        { detail: { condition: 'starttls-unavailable' } },
      );
    }
    return next();
  });
  if (mode === 'off') return;
  features.use('starttls', NS_TLS, async (ctx, next) => {
    const entity = ctx.entity as Client;
    if (entity.isSecure()) return next();
    const answer = await entity.sendReceive(xml('starttls', { xmlns: NS_TLS }));
    if (!answer.is('proceed', NS_TLS)) {
      throw new NetworkError(`the server for ${domain} refused STARTTLS`, {
        detail: { condition: answer.name },
      });
    }
    const secure = new TlsSocket();
    const ready = new Promise<void>((resolve, reject) => {
      secure.once('connect', () => {
        resolve();
      });
      secure.once('error', reject);
    });
    secure.connect({
      socket: entity.socket as unknown as import('node:net').Socket,
      ...tlsOptions(domain, options),
    });
    await ready;
    entity._attachSocket(secure);
    await entity.restart();
  });
}
