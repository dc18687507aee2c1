/**
 * XEP-0115 entity capabilities: the verification string over our disco#info answer, so peers
 * (and the server's PEP) learn what we offer from presence alone, and notice when it changes.
 */
import { createHash } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { NS_MX } from './codec.ts';

export const NS_CAPS = 'http://jabber.org/protocol/caps';
/** Our caps node: peers query disco#info at `<node>#<ver>`. */
export const CAPS_NODE = NS_MX;

/** What our disco#info answer says about us (XEP-0030 §3.1): one identity and our features. */
export interface DiscoInfo {
  readonly identity: { readonly category: string; readonly type: string; readonly name: string };
  /** Sorted, without duplicates. */
  readonly features: readonly string[];
}

/** XEP-0115 §5.1: sha-1 over `category/type/lang/name<` then each sorted `feature<`, base64. */
export function capsVer(info: DiscoInfo): string {
  const { category, type, name } = info.identity;
  const text = `${category}/${type}//${name}<${[...info.features]
    .sort()
    .map((f) => `${f}<`)
    .join('')}`;
  return createHash('sha1').update(text, 'utf8').digest('base64');
}

/** The `<c/>` element for presence (XEP-0115 §4). */
export function capsElement(info: DiscoInfo): Element {
  return xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CAPS_NODE, ver: capsVer(info) });
}
