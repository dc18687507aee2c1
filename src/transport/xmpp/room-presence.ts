/**
 * What a presence from a MUC room says (XEP-0045 §7.2): who the occupant is, whether it is us
 * (status 110) and whether our entry created the room (201), its affiliation and real address
 * when the room shows them, or why our entry failed.
 */
import { xml, type Element } from '@xmpp/xml';
import { NetworkError, RefusedError, quote, type MxAgentError } from '../../errors.ts';
import type { Availability } from '../transport.ts';
import { NS_MUC_USER, availabilityOf, showFor } from './codec.ts';

/** An account's standing in a room (XEP-0045 §5.2). */
export type Affiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';

const AFFILIATIONS: ReadonlySet<string> = new Set(['owner', 'admin', 'member', 'none', 'outcast']);

/** One occupant presence, decoded. */
export interface OccupantPresence {
  /** Our own presence (status 110). */
  readonly self: boolean;
  /** Our entry created the room (status 201). */
  readonly created: boolean;
  readonly availability: Availability;
  readonly affiliation: Affiliation;
  /** The occupant's bare JID, when the room reveals it (whois anyone, or we moderate). */
  readonly account?: string;
  readonly status?: string;
}

/** Decode the muc#user parts of an occupant presence. */
export function parseOccupantPresence(stanza: Element): OccupantPresence {
  const user = stanza.getChild('x', NS_MUC_USER);
  const codes = new Set(user?.getChildren('status').map((s) => s.attrs.code) ?? []);
  const item = user?.getChild('item');
  const account = item?.attrs.jid?.split('/')[0];
  const status = stanza.getChildText('status') ?? undefined;
  return {
    self: codes.has('110'),
    created: codes.has('201'),
    availability: availabilityOf(stanza),
    affiliation: affiliationOf(item?.attrs.affiliation),
    ...(account ? { account } : {}),
    ...(status ? { status } : {}),
  };
}

/** An affiliation attribute as we type it; anything unknown counts as none. */
export function affiliationOf(value: string | undefined): Affiliation {
  return value !== undefined && AFFILIATIONS.has(value) ? (value as Affiliation) : 'none';
}

/** Why the room refused our entry (an error presence, §7.2.6–§7.2.11), as our error. */
export function joinFailure(room: string, stanza: Element): MxAgentError {
  const error = stanza.getChild('error');
  const condition = error?.getChildElements().find((e) => e.name !== 'text')?.name ?? 'unknown';
  const text = error?.getChildText('text');
  const message = `could not join ${quote(room)}: ${condition}${text ? ` (${text})` : ''}`;
  return condition === 'remote-server-not-found' || condition === 'service-unavailable'
    ? new NetworkError(message, { detail: { condition } })
    : new RefusedError(message, { detail: { condition } });
}

/** `<show/>`/`<status/>` children for a presence. */
export function presenceChildren(availability: Availability, status?: string): Element[] {
  return [...showFor(availability), ...(status ? [xml('status', {}, status)] : [])];
}
