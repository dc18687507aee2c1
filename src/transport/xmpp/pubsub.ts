/**
 * Publishing one item to a node of our own PEP service (XEP-0163), creating the node on first
 * use with XEP-0060 §7.1.5 publish-options: durable workspace state and the agent card share it.
 */
import { xml, type Element } from '@xmpp/xml';
import { submitForm } from './data-forms.ts';
import type { XmppSession } from './session.ts';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';

/** One item to publish and the node configuration it needs. */
export interface Publication {
  readonly node: string;
  readonly id: string;
  readonly payload: Element;
  /** `pubsub#…` node settings, e.g. access model and how many items to keep. */
  readonly options: Record<string, string>;
}

/** Publish (replace) one item; rejects with the server's stanza error. */
export async function publishToPep(session: XmppSession, item: Publication): Promise<void> {
  const publish = xml('publish', { node: item.node }, xml('item', { id: item.id }, item.payload));
  const options = xml(
    'publish-options',
    {},
    submitForm(`${NS_PUBSUB}#publish-options`, item.options),
  );
  await session.iqCaller.set(xml('pubsub', { xmlns: NS_PUBSUB }, publish, options));
}
