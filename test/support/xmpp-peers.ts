import type { ProsodyServer } from '../../src/devserver/xmpp/prosody.ts';
import { createXmppTransport } from '../../src/transport/xmpp/index.ts';
import type { XmppTransportOptions } from '../../src/transport/xmpp/options.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { uniqueUser } from './prosody.ts';

/** Options for a freshly registered account on the test server. */
export async function newAccount(
  server: ProsodyServer,
  prefix = 'peer',
  extra: Partial<XmppTransportOptions> = {},
): Promise<XmppTransportOptions & { mode: 'client' }> {
  const user = uniqueUser(prefix);
  const password = `pw-${user}`;
  await server.register(user, password);
  return {
    mode: 'client',
    jid: `${user}@${server.domain}`,
    password,
    host: server.host,
    port: server.c2sPort,
    tls: 'off',
    backoff: { initialMs: 100, maxMs: 1000 },
    connectTimeoutMs: 5000,
    ...extra,
  } as XmppTransportOptions & { mode: 'client' };
}

/** A transport for a new account (not connected). */
export async function newPeer(server: ProsodyServer, prefix = 'peer'): Promise<Transport> {
  return createXmppTransport(await newAccount(server, prefix));
}

/** A transport for the test server's XEP-0114 component (not connected). */
export function componentPeer(server: ProsodyServer): Transport {
  return createXmppTransport({
    mode: 'component',
    domain: server.componentDomain,
    secret: server.componentSecret,
    host: server.host,
    port: server.componentPort,
  });
}
