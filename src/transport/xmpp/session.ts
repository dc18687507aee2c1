/**
 * One XMPP session: a connected, authenticated stream (client or component) with its
 * middleware, IQ caller and callee. The transport opens a new one for every (re)connection,
 * so no state leaks from a dead stream into the next one.
 *
 * We compose xmpp.js parts ourselves instead of using `@xmpp/client`'s factory, because the
 * factory does not verify the SCRAM server signature, cannot take a CA or refuse a server that
 * does not offer STARTTLS, and reconnects at a fixed delay.
 */
import { Client } from '@xmpp/client-core';
import { component } from '@xmpp/component';
import iqCaller, { type IqCaller } from '@xmpp/iq/caller.js';
import iqCallee, { type IqCallee } from '@xmpp/iq/callee.js';
import middleware, { type Middleware } from '@xmpp/middleware';
import resourceBinding from '@xmpp/resource-binding';
import streamFeatures from '@xmpp/stream-features';
import tcp from '@xmpp/tcp';
import { AuthError } from '../../errors.ts';
import { toConnectError } from './connect-errors.ts';
import { resolveEndpoint } from './endpoint.ts';
import type { XmppClientOptions, XmppComponentOptions } from './options.ts';
import { useSasl } from './sasl.ts';
import { NS_SM, StreamManagement } from './stream-management.ts';
import { directTlsTransport, useTlsPolicy } from './tls.ts';

/** A live stream and the helpers bound to it. */
export interface XmppSession {
  readonly entity: Client;
  readonly middleware: Middleware;
  readonly iqCaller: IqCaller;
  readonly iqCallee: IqCallee;
  /** XEP-0198 state, when the server offered stream management. */
  readonly sm: StreamManagement | undefined;
  /** Our full JID (client) or component domain. */
  readonly jid: string;
}

/** Install handlers on a session before it goes online, so no early stanza is missed. */
export type InstallHandlers = (session: Omit<XmppSession, 'jid'>) => void;

/** Open a client (C2S) session: TLS per policy, SASL, resource binding, stream management. */
export async function openClientSession(
  options: XmppClientOptions,
  install: InstallHandlers,
  timeoutMs: number,
): Promise<XmppSession> {
  const [local = '', domain = ''] = options.jid.split('@');
  const endpoint = await resolveEndpoint(domain, options);
  const scheme = endpoint.directTls ? 'xmpps' : 'xmpp';
  const entity = new Client({
    service: `${scheme}://${endpoint.host}:${String(endpoint.port)}`,
    domain,
    timeout: timeoutMs,
  });
  tcp({ entity });
  entity.transports.push(directTlsTransport(domain, options));
  const mw = middleware({ entity });
  const features = streamFeatures({ middleware: mw });
  useTlsPolicy(mw, features, domain, options);
  const sm = new StreamManagement(entity);
  const offered = { sm: false };
  features.use('sm', NS_SM, (_ctx, next) => {
    offered.sm = true;
    return next();
  });
  const caller = iqCaller({ middleware: mw, entity });
  const callee = iqCallee({ middleware: mw, entity });
  useSasl(features, { username: local, password: options.password, account: options.jid });
  resourceBinding({ iqCaller: caller, streamFeatures: features }, options.resource);
  install({ entity, middleware: mw, iqCaller: caller, iqCallee: callee, sm });
  await startOrThrow(entity, `${endpoint.host}:${String(endpoint.port)}`, timeoutMs);
  // XEP-0198 §3: enable after resource binding; a server without it still works, unacknowledged.
  const acked = offered.sm && (await sm.enable(timeoutMs));
  entity.on('disconnect', () => {
    sm.stop();
  });
  return {
    entity,
    middleware: mw,
    iqCaller: caller,
    iqCallee: callee,
    sm: acked ? sm : undefined,
    jid: entity.jid?.toString() ?? options.jid,
  };
}

/** Open an external component session (XEP-0114 handshake). */
export async function openComponentSession(
  options: XmppComponentOptions,
  install: InstallHandlers,
  timeoutMs: number,
): Promise<XmppSession> {
  const entity = component({
    service: `xmpp://${options.host}:${String(options.port)}`,
    domain: options.domain,
    password: options.secret,
  });
  // We reconnect ourselves, with backoff and a fresh session.
  entity.reconnect.stop();
  entity.options.timeout = timeoutMs;
  const { middleware: mw, iqCaller: caller, iqCallee: callee } = entity;
  install({ entity, middleware: mw, iqCaller: caller, iqCallee: callee, sm: undefined });
  // XEP-0114 §3: a wrong secret makes the server close the stream with <not-authorized/>.
  const notAuthorized = (error: { condition?: string }): void => {
    if (error.condition === 'not-authorized')
      entity.emit(
        'error',
        new AuthError(
          `the server refused the secret for component ${options.domain} (not-authorized)`,
          { detail: { condition: 'not-authorized' } },
        ),
      );
  };
  entity.on('error', notAuthorized);
  try {
    await startOrThrow(entity, `${options.host}:${String(options.port)}`, timeoutMs);
  } finally {
    entity.off('error', notAuthorized);
  }
  return {
    entity,
    middleware: mw,
    iqCaller: caller,
    iqCallee: callee,
    sm: undefined,
    jid: options.domain,
  };
}

/** Start the stream; on any failure tear the socket down and throw our error. */
async function startOrThrow(entity: Client, where: string, timeoutMs: number): Promise<void> {
  // An 'error' event without a listener would crash the process. Failures surface as the
  // rejection below or as 'disconnect'; the transport adds a listener that logs them.
  entity.on('error', () => undefined);
  const errors: unknown[] = [];
  const { promise: failed, reject: fail } = Promise.withResolvers<never>();
  const collect = (error: unknown): void => {
    errors.push(error);
    fail(error);
  };
  entity.on('error', collect);
  // Like Connection#start, but every promise involved is awaited or handled: xmpp.js leaves
  // its 'online' promise dangling when open() fails, which later surfaces as an unhandled rejection.
  const online = new Promise<void>((resolve) => {
    entity.once('online', () => {
      resolve();
    });
  });
  const timer = setTimeout(() => {
    fail(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
  }, timeoutMs);
  const { service, domain } = entity.options;
  const steps = (async () => {
    await entity.connect(service);
    noDelay(entity);
    await entity.open({ domain });
    await online;
  })();
  steps.catch(() => undefined);
  try {
    await Promise.race([steps, failed]);
  } catch (error) {
    destroy(entity);
    // The most telling error is the first one of ours (AuthError, TLS policy), else the first.
    const ours = errors.find((e) => e instanceof Error && 'kind' in e);
    throw toConnectError(ours ?? errors[0] ?? error, where, timeoutMs);
  } finally {
    clearTimeout(timer);
    entity.off('error', collect);
  }
}

/**
 * Send each stanza when it is written. @xmpp/tcp leaves Nagle's algorithm on, which holds a
 * small write back until the previous one is acknowledged: ~25 ms more per room message on
 * loopback (bench/stream.ts), for a protocol made of small writes. The option is on the file
 * descriptor, so it survives STARTTLS wrapping the socket.
 */
function noDelay(entity: Client): void {
  const socket = entity.socket as { setNoDelay?: (on: boolean) => unknown } | null;
  socket?.setNoDelay?.(true);
}

/** Drop the socket at once (no closing handshake): used on failures and outages. */
export function destroy(entity: Client): void {
  const socket = entity.socket as {
    socket?: { destroy(): void } | null;
    destroy?: () => void;
  } | null;
  try {
    if (socket?.destroy) socket.destroy();
    else socket?.socket?.destroy();
  } catch {
    // Already gone.
  }
}
