/**
 * The public directory of a server, walked with XEP-0030 service discovery: the server's items
 * (its components and anything its admin lists), each one's disco#info; MUC services (identity
 * conference/text) give their public rooms (XEP-0045 §6.3), described by their disco#info
 * (§6.4, muc#roominfo); agents are entities with our feature or a client/bot identity.
 * Bounded: at most PARALLEL queries in flight and MAX_QUERIES in all, each with its own
 * timeout; an entity that fails or stays silent is left out, only the server's own silence fails.
 */
import { xml, type Element } from '@xmpp/xml';
import type { DirectoryEntry } from '../transport.ts';
import { NS_DISCO_INFO, NS_DISCO_ITEMS } from './citizenship.ts';
import { NS_MX } from './codec.ts';
import { formValues } from './data-forms.ts';
import { QueryPool } from './query-pool.ts';
import type { XmppSession } from './session.ts';
import { iqFailure } from './stanza-errors.ts';

const PARALLEL = 8;
const MAX_QUERIES = 300;
const QUERY_MS = 5000;
const NS_ROOMINFO = 'http://jabber.org/protocol/muc#roominfo';

/** One directory search. */
export interface DirectorySearch {
  readonly session: XmppSession;
  /** The server or service whose items we walk. */
  readonly root: string;
  /** Case-insensitive substring of address, name or description; absent: everything. */
  readonly text?: string;
  readonly signal: AbortSignal;
  readonly log: (message: string) => void;
}

/** Walk the directory of `search.root`; workspaces first, then agents, each by address. */
export async function searchDirectory(search: DirectorySearch): Promise<DirectoryEntry[]> {
  const pool = new QueryPool(PARALLEL, MAX_QUERIES, search.signal);
  const ask = (to: string, xmlns: string): Promise<Element | undefined> =>
    pool.run(() => search.session.iqCaller.get(xml('query', { xmlns }), to, QUERY_MS));
  const top = await ask(search.root, NS_DISCO_ITEMS).catch((error: unknown) => {
    throw iqFailure(error, `disco#items of ${search.root}`);
  });
  const found = new Map<string, DirectoryEntry>();
  const describe = async (jid: string, listedName: string | undefined, expand: boolean) => {
    const info = await ask(jid, NS_DISCO_INFO).catch(() => undefined);
    if (!info) return;
    if (isRoom(jid, info)) found.set(jid, workspaceEntry(jid, info, listedName));
    else if (isAgent(info)) found.set(jid, agentEntry(jid, info));
    else if (expand && isMucService(jid, info)) {
      const rooms = await ask(jid, NS_DISCO_ITEMS).catch(() => undefined);
      await Promise.all(itemsOf(rooms).map(([room, name]) => describe(room, name, false)));
    }
  };
  // The root itself may be a MUC service or an agent: its items are then rooms, not services.
  await Promise.all([
    describe(search.root, undefined, false),
    ...itemsOf(top).map(([jid, name]) => describe(jid, name, true)),
  ]);
  if (pool.exhausted)
    search.log(`directory of ${search.root}: stopped after ${String(MAX_QUERIES)} queries`);
  const needle = search.text?.toLowerCase();
  return [...found.values()]
    .filter(
      (e) =>
        !needle ||
        [e.address, e.name, e.description].some((v) => v?.toLowerCase().includes(needle)),
    )
    .sort((a, b) =>
      a.kind === b.kind ? a.address.localeCompare(b.address) : a.kind === 'workspace' ? -1 : 1,
    );
}

/** [jid, name] of each `<item/>` of a disco#items answer. */
function itemsOf(query: Element | undefined): [string, string | undefined][] {
  return (query?.getChildren('item') ?? []).flatMap((item) =>
    item.attrs.jid && !item.attrs.node ? [[item.attrs.jid, item.attrs.name || undefined]] : [],
  );
}

function hasIdentity(info: Element, category: string, type?: string): boolean {
  return info
    .getChildren('identity')
    .some((i) => i.attrs.category === category && (type === undefined || i.attrs.type === type));
}

function featuresOf(info: Element): string[] {
  return info.getChildren('feature').flatMap((f) => (f.attrs.var ? [f.attrs.var] : []));
}

/** A MUC service is a domain with identity conference/text; a room has a local part. */
function isMucService(jid: string, info: Element): boolean {
  return !jid.includes('@') && hasIdentity(info, 'conference', 'text');
}

function isRoom(jid: string, info: Element): boolean {
  return jid.includes('@') && hasIdentity(info, 'conference');
}

function isAgent(info: Element): boolean {
  return featuresOf(info).includes(NS_MX) || hasIdentity(info, 'client', 'bot');
}

function workspaceEntry(
  jid: string,
  info: Element,
  listedName: string | undefined,
): DirectoryEntry {
  const form = formValues(info, NS_ROOMINFO);
  const name = info.getChildren('identity').find((i) => i.attrs.category === 'conference')
    ?.attrs.name;
  const description = form.get('muc#roominfo_description');
  const occupants = Number(form.get('muc#roominfo_occupants') ?? NaN);
  return {
    kind: 'workspace',
    address: jid,
    ...(name || listedName ? { name: name || listedName } : {}),
    ...(description ? { description } : {}),
    ...(Number.isInteger(occupants) && occupants >= 0 ? { members: occupants } : {}),
  };
}

function agentEntry(jid: string, info: Element): DirectoryEntry {
  const identity =
    info.getChildren('identity').find((i) => i.attrs.category === 'client') ??
    info.getChild('identity');
  const name = identity?.attrs.name;
  const features = featuresOf(info);
  return {
    kind: 'agent',
    address: jid,
    ...(name ? { name } : {}),
    mxAgent: features.includes(NS_MX),
    features,
  };
}
