import type { Transport } from '../transport.ts';
import type { XmppTransportOptions } from './options.ts';
import { XmppTransport } from './xmpp-transport.ts';

export type {
  XmppTransportOptions,
  XmppClientOptions,
  XmppComponentOptions,
  XmppTlsMode,
} from './options.ts';
export { parseXmppAddress } from './address.ts';

/** Build an XMPP transport (not yet connected). The only way the rest of the code gets one. */
export function createXmppTransport(options: XmppTransportOptions): Transport {
  return new XmppTransport(options);
}
