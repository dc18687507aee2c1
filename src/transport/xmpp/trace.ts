import type { Client } from '@xmpp/client-core';
import type { Element } from '@xmpp/xml';

const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** Log every element in and out; SASL payloads (which may hold a password) are never shown. */
export function traceStanzas(entity: Client, log: (line: string) => void): void {
  const show = (direction: string) => (element: Element) => {
    const secret = element.getNS() === NS_SASL && element.name !== 'mechanisms';
    log(
      `${direction} ${secret ? `<${element.name} xmlns="${NS_SASL}">[redacted]</${element.name}>` : element.toString()}`,
    );
  };
  entity.on('element', show('<<'));
  entity.on('send', show('>>'));
}
