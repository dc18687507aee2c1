/**
 * How this entity describes itself network-wide (Transport.advertise): the disco#info identity
 * and features (XEP-0030) with their caps hash (XEP-0115), the agent card as a PEP item
 * (XEP-0163), and a one-element summary in every presence we send.
 */
import type { IqCallee } from '@xmpp/iq/callee.js';
import { xml, type Element } from '@xmpp/xml';
import { UsageError, quote } from '../../errors.ts';
import { MAX_PAYLOAD_BYTES } from '../payload.ts';
import type { Advertisement } from '../transport.ts';
import { capsElement, type DiscoInfo } from './caps.ts';
import { OUR_FEATURES } from './citizenship.ts';
import { NS_MX } from './codec.ts';
import { NS_PUBSUB, publishToPep } from './pubsub.ts';
import type { XmppSession } from './session.ts';
import { iqFailure } from './stanza-errors.ts';

/** The PEP node holding the agent card; its one item has id `current`. */
export const NODE_CARD = `${NS_MX}:card`;
const CARD_ITEM = 'current';
/** Checked at run time too: the advertisement may come from parsed input. */
const KINDS: ReadonlySet<string> = new Set(['bot', 'console']);

/** Our current self-description; until advertise() a plain bot named after the software. */
export class Advertiser {
  readonly #software: string;
  #advert: Advertisement | undefined;
  /** Features offered by what the transport answers now (the agent protocol's, while answered). */
  #offered: readonly string[] = [];

  constructor(softwareName: string) {
    this.#software = softwareName;
  }

  /** What disco#info answers now. */
  info(): DiscoInfo {
    const ad = this.#advert;
    const features = new Set([...OUR_FEATURES, ...this.#offered, ...(ad?.features ?? [])]);
    return {
      identity: { category: 'client', type: ad?.kind ?? 'bot', name: ad?.name ?? this.#software },
      features: [...features].sort(),
    };
  }

  /** Offer these features besides ours and the advertised ones (the caps hash changes with them). */
  offer(features: readonly string[]): void {
    this.#offered = [...features];
  }

  /** Extra children of every presence we send: caps always, the agent summary once advertised. */
  presenceElements(): Element[] {
    const ad = this.#advert;
    const id = typeof ad?.card.id === 'string' ? ad.card.id : '';
    const agent = ad && xml('agent', { xmlns: NS_MX, id, kind: ad.kind });
    return [capsElement(this.info()), ...(agent ? [agent] : [])];
  }

  /** `<card xmlns='urn:mx-agent:0'>{json}</card>`, once advertised. */
  card(): Element | undefined {
    return this.#advert && cardElement(this.#advert);
  }

  /**
   * Take `ad` as our description, after publishing its card to our PEP when `pep` is given (a
   * client; a component has no PEP and answers card queries itself, see serveCard).
   */
  async advertise(ad: Advertisement, pep: XmppSession | undefined): Promise<void> {
    assertValidAdvertisement(ad);
    if (pep) {
      try {
        // Open (anyone may read it), persistent, one item: the card as it is now.
        await publishToPep(pep, {
          node: NODE_CARD,
          id: CARD_ITEM,
          payload: cardElement(ad),
          options: {
            'pubsub#access_model': 'open',
            'pubsub#persist_items': 'true',
            'pubsub#max_items': '1',
          },
        });
      } catch (error) {
        throw iqFailure(error, 'publishing the agent card to our PEP node');
      }
    }
    this.#advert = ad;
  }
}

/**
 * A component is its own PubSub service for the card node (XEP-0060 §6.5 retrieve items), so a
 * reader asks a component and an account the same question.
 */
export function serveCard(callee: IqCallee, card: () => Element | undefined): void {
  callee.get(NS_PUBSUB, 'pubsub', (ctx, next) => {
    const node = ctx.element.getChild('items')?.attrs.node;
    if (node !== NODE_CARD) return next();
    const current = card();
    if (!current)
      return xml(
        'error',
        { type: 'cancel' },
        xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
      );
    return xml(
      'pubsub',
      { xmlns: NS_PUBSUB },
      xml('items', { node }, xml('item', { id: CARD_ITEM }, current)),
    );
  });
}

function cardElement(ad: Advertisement): Element {
  return xml('card', { xmlns: NS_MX }, JSON.stringify(ad.card));
}

function assertValidAdvertisement(ad: Advertisement): void {
  if (typeof ad.name !== 'string' || ad.name.trim() === '')
    throw new UsageError(`expected a non-empty name to advertise, got ${quote(ad.name)}`);
  if (!KINDS.has(ad.kind))
    throw new UsageError(`expected the kind "bot" or "console", got ${quote(ad.kind)}`);
  const bad = ad.features.find((f) => typeof f !== 'string' || !/^\S+$/.test(f));
  if (bad !== undefined)
    throw new UsageError(`expected features that are URIs like "urn:example:x", got ${quote(bad)}`);
  if (typeof ad.card.id !== 'string' || ad.card.id === '')
    throw new UsageError(`expected an agent card with a string "id", got ${quote(ad.card.id)}`);
  const size = Buffer.byteLength(JSON.stringify(ad.card));
  if (size > MAX_PAYLOAD_BYTES)
    throw new UsageError(
      `the agent card is ${String(size)} bytes, more than the ${String(MAX_PAYLOAD_BYTES)} allowed`,
    );
}
