/**
 * XEP-0313 Message Archive Management (`urn:xmpp:mam:2`) stanzas, paged backwards with XEP-0059
 * Result Set Management: the query we send, and the `<result/>` messages and `<fin/>` we read.
 * Pure: no session, no transport state.
 */
import { xml, type Element } from '@xmpp/xml';
import { NS_DELAY } from './codec.ts';

export const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_DATA = 'jabber:x:data';

/** One page to ask for: the newest `max` messages before archive id `before` (or before now). */
export interface ArchivePageRequest {
  readonly queryid: string;
  readonly max: number;
  readonly before?: string | undefined;
  /** Only messages exchanged with this JID (XEP-0313 §4.1.1 `with`). */
  readonly with?: string | undefined;
}

/**
 * The `<query/>` of an archive IQ set. XEP-0059 §2.5: an empty `<before/>` asks for the last
 * page; §2.3: `<before>id</before>` for the page just older than `id`.
 */
export function archiveQuery(request: ArchivePageRequest): Element {
  const field = (name: string, value: string, type?: string): Element =>
    xml('field', { var: name, type }, xml('value', {}, value));
  const form =
    request.with === undefined
      ? undefined
      : xml(
          'x',
          { xmlns: NS_DATA, type: 'submit' },
          field('FORM_TYPE', NS_MAM, 'hidden'),
          field('with', request.with),
        );
  const set = xml(
    'set',
    { xmlns: NS_RSM },
    xml('max', {}, String(request.max)),
    xml('before', {}, request.before),
  );
  return xml('query', { xmlns: NS_MAM, queryid: request.queryid }, form, set);
}

/** One archived message, taken out of its `<result/>`. */
export interface ArchivedEntry {
  readonly queryid: string;
  /** The archive's id for the message: the RSM cursor, and the stanza-id the archive gave it. */
  readonly archiveId: string;
  /** When the archive stored it (XEP-0203 stamp of the forwarded copy), ms since the epoch. */
  readonly stamp: number;
  /** The archived `<message/>` as it was sent or received. */
  readonly message: Element;
}

/** The MAM `<result/>` a message carries, or undefined when it is not an archive result. */
export function archiveResultOf(stanza: Element): Element | undefined {
  return stanza.name === 'message' ? stanza.getChild('result', NS_MAM) : undefined;
}

/**
 * Open a result (XEP-0313 §4.2):
 * `<result queryid id><forwarded><delay stamp/><message/></forwarded></result>`.
 * Returns why it is malformed instead when it is.
 */
export function readArchiveResult(result: Element): ArchivedEntry | string {
  const { queryid, id } = result.attrs;
  if (!queryid) return 'an archive result without a queryid';
  if (!id) return 'an archive result without an id';
  const forwarded = result.getChild('forwarded', NS_FORWARD);
  const message = forwarded?.getChild('message');
  if (!forwarded || !message) return `archive result ${id} has no forwarded <message/>`;
  // §4.2: the forwarded copy SHOULD carry the archive's stamp; an inner one is next best. An
  // entry with neither has no time to be read at, and is left out.
  const stamp =
    parseStamp(forwarded.getChild('delay', NS_DELAY)?.attrs.stamp) ??
    parseStamp(message.getChild('delay', NS_DELAY)?.attrs.stamp);
  if (stamp === undefined) return `archive result ${id} has no valid <delay stamp/>`;
  return { queryid, archiveId: id, stamp, message };
}

/** What `<fin/>` says about a page (XEP-0313 §4.3). */
export interface ArchiveFin {
  /** XEP-0059 `<first/>`: the oldest message on the page; absent when the page is empty. */
  readonly first?: string;
  /** True when no older page exists. */
  readonly complete: boolean;
}

/** Read the `<fin/>` of the IQ result, or undefined when there is none. */
export function readArchiveFin(iq: Element): ArchiveFin | undefined {
  const fin = iq.getChild('fin', NS_MAM);
  if (!fin) return undefined;
  const first = fin.getChild('set', NS_RSM)?.getChildText('first') ?? '';
  const complete = fin.attrs.complete === 'true' || fin.attrs.complete === '1';
  return { complete, ...(first ? { first } : {}) };
}

function parseStamp(stamp: string | undefined): number | undefined {
  const parsed = stamp ? Date.parse(stamp) : NaN;
  return Number.isNaN(parsed) ? undefined : parsed;
}
