/**
 * Protocol obligations every XMPP entity has, answered on every session:
 * XEP-0199 ping, XEP-0030 disco#info (our identity and features, also at our XEP-0115 caps
 * node), XEP-0092 software version.
 * Unknown IQ get/set get `service-unavailable` from xmpp.js's callee (RFC 6120 §8.4).
 */
import type { IqCallee } from '@xmpp/iq/callee.js';
import { xml } from '@xmpp/xml';
import { CAPS_NODE, capsVer, type DiscoInfo } from './caps.ts';
import { NS_MX } from './codec.ts';

export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
export const NS_PING = 'urn:xmpp:ping';
export const NS_VERSION = 'jabber:iq:version';

/** The features we announce (sorted, as XEP-0115 hashing will want them). */
export const OUR_FEATURES = [
  NS_DISCO_INFO,
  'http://jabber.org/protocol/caps',
  'http://jabber.org/protocol/muc',
  NS_VERSION,
  NS_MX,
  NS_PING,
  'urn:xmpp:sid:0',
].sort();

/** The software we are, for XEP-0092. */
export interface Identity {
  readonly name: string;
  readonly version: string;
}

/**
 * Register the ping, disco#info and version handlers on a session's IQ callee. `disco` is read
 * on every query, so what advertise() changes is answered at once.
 */
export function answerObligations(
  callee: IqCallee,
  identity: Identity,
  disco: () => DiscoInfo,
): void {
  callee.get(NS_PING, 'ping', () => ({}));
  callee.get(NS_DISCO_INFO, 'query', (ctx) => {
    const info = disco();
    const node = ctx.element.attrs.node;
    // XEP-0115 §6.2: the caps node answers like the entity. Any other node we do not publish:
    // XEP-0030 §3.1 says item-not-found (the callee's default, service-unavailable, would be wrong).
    if (node && node !== `${CAPS_NODE}#${capsVer(info)}`) {
      return xml(
        'error',
        { type: 'cancel' },
        xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
      );
    }
    return xml(
      'query',
      { xmlns: NS_DISCO_INFO, node },
      xml('identity', info.identity),
      ...info.features.map((v) => xml('feature', { var: v })),
    );
  });
  callee.get(NS_DISCO_ITEMS, 'query', () => xml('query', { xmlns: NS_DISCO_ITEMS }));
  // XEP-0092: no <os/>; it tells strangers what to attack.
  callee.get(NS_VERSION, 'query', () =>
    xml(
      'query',
      { xmlns: NS_VERSION },
      xml('name', {}, identity.name),
      xml('version', {}, identity.version),
    ),
  );
}
