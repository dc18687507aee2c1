/**
 * A raw XMPP client for tests: sends any stanza and sees every stanza, so tests can check what
 * our transport answers on the wire (pings, disco, errors) from a second, independent session.
 */
import { xml, type Element } from '@xmpp/xml';
import { openClientSession, type XmppSession } from '../../src/transport/xmpp/session.ts';
import type { XmppClientOptions } from '../../src/transport/xmpp/options.ts';

/** A connected raw session. */
export interface Probe {
  readonly session: XmppSession;
  readonly received: Element[];
  /** Send an IQ and return the whole reply stanza (result or error), never throwing on type=error. */
  iq(to: string, type: 'get' | 'set', child: Element): Promise<Element>;
  send(stanza: Element): Promise<void>;
  close(): Promise<void>;
}

export async function openProbe(options: XmppClientOptions): Promise<Probe> {
  const received: Element[] = [];
  const session = await openClientSession(
    options,
    (parts) => {
      parts.middleware.use((ctx, next) => {
        received.push(ctx.stanza);
        return next();
      });
    },
    5000,
  );
  await session.entity.send(xml('presence'));
  let counter = 0;
  return {
    session,
    received,
    async iq(to, type, child) {
      const id = `probe-${String(++counter)}`;
      const reply = new Promise<Element>((resolve) => {
        const onStanza = (stanza: Element): void => {
          if (stanza.name === 'iq' && stanza.attrs.id === id) {
            session.entity.off('stanza', onStanza);
            resolve(stanza);
          }
        };
        session.entity.on('stanza', onStanza);
      });
      await session.entity.send(xml('iq', { to, type, id }, child));
      return reply;
    },
    send: (stanza) => session.entity.send(stanza),
    close: async () => {
      await session.entity.stop().catch(() => undefined);
    },
  };
}
