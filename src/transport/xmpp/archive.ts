/**
 * History from XEP-0313 archives: a workspace from its room's archive, a direct conversation
 * from our own account's archive filtered by `with`, one XEP-0059 page at a time, newest first.
 * The results arrive as messages before the IQ result; they are collected by query id and taken
 * off the inbound path, so an archived message is never delivered again as a live one.
 */
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import {
  MxAgentError,
  NetworkError,
  RefusedError,
  UsageError,
  messageOf,
  quote,
} from '../../errors.ts';
import { DEFAULT_WAIT_MS, withDeadline } from '../deadline.ts';
import type {
  HistoryPage,
  HistoryQuery,
  InboundMessage,
  Target,
  WaitOptions,
} from '../transport.ts';
import { parseXmppAddress } from './address.ts';
import { splitResource, type DecodedMessage } from './codec.ts';
import { directEntry, workspaceEntry } from './history.ts';
import {
  archiveQuery,
  archiveResultOf,
  readArchiveFin,
  readArchiveResult,
  type ArchivedEntry,
} from './mam.ts';

const DEFAULT_LIMIT = 100;

/** What reading archives needs from the transport. */
export interface ArchiveDeps {
  /** Send an IQ; resolve with its result, reject with its stanza error or after `timeoutMs`. */
  readonly request: (iq: Element, timeoutMs: number) => Promise<Element>;
  /** Our own full address. */
  readonly self: () => string;
  /** Our nick in a room, undefined when we are not in it. */
  readonly nickIn: (room: string) => string | undefined;
  readonly log: (level: 'debug' | 'warn', message: string) => void;
}

interface Collector {
  /** The JID the results must come from: the room, or our own bare JID. */
  readonly archive: string;
  readonly entries: ArchivedEntry[];
}

/** Archive queries of one transport. */
export class MessageArchive {
  readonly #deps: ArchiveDeps;
  readonly #collectors = new Map<string, Collector>();

  constructor(deps: ArchiveDeps) {
    this.#deps = deps;
  }

  /** One page of a workspace's or a direct conversation's history (see Transport.history). */
  async history(
    target: Target,
    query: HistoryQuery = {},
    options?: WaitOptions,
  ): Promise<HistoryPage> {
    const max = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isSafeInteger(max) || max < 1)
      throw new UsageError(`expected a history limit of at least 1, got ${quote(max)}`);
    if (query.before === '')
      throw new UsageError('expected a history cursor from a previous page, got ""');
    const { archive, owner, filter, read } = this.#conversation(target);
    const request = { max, before: query.before, with: filter };
    const page = await this.#page(archive, request, options).catch((error: unknown) => {
      throw archiveError(error, owner, query.before);
    });
    const seen = new Set<string>();
    const messages: InboundMessage[] = [];
    for (const entry of page.entries) {
      const decoded = read(entry);
      if (decoded.outcome === 'message') {
        // A message resent after a lost stream (XEP-0198) may be archived twice; live had it once.
        const key = `${decoded.message.from}\u0000${decoded.message.id}`;
        if (!seen.has(key)) messages.push(decoded.message);
        seen.add(key);
      } else {
        const why = decoded.outcome === 'ignored' ? decoded.why : decoded.reason;
        this.#deps.log('debug', `left out archived message ${entry.archiveId}: ${why}`);
      }
    }
    return { messages, ...(page.next ? { next: page.next } : {}), unreadable: 0 };
  }

  /** The raw page, newest first, and the cursor of the next older one. */
  async #page(
    archive: string,
    request: { max: number; before: string | undefined; with: string | undefined },
    options: WaitOptions | undefined,
  ): Promise<{ entries: ArchivedEntry[]; next: string | undefined }> {
    const queryid = randomUUID();
    const collector: Collector = { archive, entries: [] };
    const timeoutMs = options?.timeoutMs ?? DEFAULT_WAIT_MS;
    const iq = xml('iq', { type: 'set', to: archive }, archiveQuery({ queryid, ...request }));
    this.#collectors.set(queryid, collector);
    let reply: Element;
    try {
      // The IQ's own timeout is a little longer, so the deadline's clearer error wins.
      reply = await withDeadline(`the message archive of ${archive}`, options, () =>
        this.#deps.request(iq, timeoutMs + 1000),
      );
    } finally {
      this.#collectors.delete(queryid);
    }
    const fin = readArchiveFin(reply);
    if (!fin)
      throw new NetworkError(`the message archive of ${archive} answered without a <fin/> element`);
    // Results come oldest first (XEP-0313 §4.2); a server that sends more than asked is trimmed.
    const entries = collector.entries.slice(-request.max).reverse();
    const trimmed = collector.entries.length > request.max;
    const next = trimmed ? entries.at(-1)?.archiveId : fin.complete ? undefined : fin.first;
    // A cursor that does not move would have a reader page forever.
    return { entries, next: next === request.before ? undefined : next };
  }

  /**
   * Take an inbound stanza if it is an archive result: kept when it answers a query of ours,
   * dropped otherwise. False for anything else, which goes on to live delivery.
   */
  take(stanza: Element): boolean {
    const result = archiveResultOf(stanza);
    if (!result) return false;
    const from = stanza.attrs.from;
    const entry = readArchiveResult(result);
    if (typeof entry === 'string') {
      this.#deps.log('debug', `dropped ${entry} from ${from ?? 'our server'}`);
      return true;
    }
    const collector = this.#collectors.get(entry.queryid);
    // XEP-0313 "Sender Impersonation": only the archive we asked may answer. Our own archive
    // answers from our bare JID, or without a 'from' (RFC 6120 §8.1.2.1).
    const sender = from ?? splitResource(this.#deps.self())[0];
    if (collector && sender.toLowerCase() === collector.archive.toLowerCase())
      collector.entries.push(entry);
    else this.#deps.log('debug', `dropped an archive result from ${sender} nobody asked for`);
    return true;
  }

  /** Which archive holds the conversation, its `with` filter, and how to read its entries. */
  #conversation(target: Target): {
    archive: string;
    owner: string;
    filter: string | undefined;
    read: (entry: ArchivedEntry) => DecodedMessage;
  } {
    if (target.kind === 'workspace') {
      const room = target.workspace;
      const nick = this.#deps.nickIn(room) ?? '';
      return {
        archive: room,
        owner: `the room service of ${room}`,
        filter: undefined,
        read: (e) => workspaceEntry(e, room, nick),
      };
    }
    const self = this.#deps.self();
    const conversation = { with: this.#conversationWith(target.address), self };
    const account = splitResource(self)[0];
    return {
      archive: account,
      owner: `the server of ${account}`,
      filter: conversation.with,
      read: (e) => directEntry(e, conversation),
    };
  }

  /** XEP-0313 §4.1.1: the peer's account, or the occupant itself for a private chat in a room. */
  #conversationWith(address: string): string {
    const peer = parseXmppAddress(address);
    const [bare, resource] = splitResource(peer);
    return resource !== undefined && this.#deps.nickIn(bare) !== undefined ? peer : bare;
  }
}

/** An archive query failure, in our terms and keeping the XMPP condition. */
function archiveError(error: unknown, owner: string, before: string | undefined): Error {
  if (error instanceof MxAgentError) return error;
  const condition = (error as { condition?: unknown }).condition;
  const detail = typeof condition === 'string' ? { detail: { condition } } : {};
  const options = { cause: error, ...detail };
  switch (condition) {
    case 'feature-not-implemented':
    case 'service-unavailable':
      return new NetworkError(
        `${owner} does not offer message archiving (XEP-0313, urn:xmpp:mam:2), so there is no history to read (${condition}); its admin can enable it`,
        options,
      );
    case 'item-not-found':
      if (before !== undefined)
        return new UsageError(
          `unknown history cursor ${quote(before)}: pass the next cursor of a previous page`,
          options,
        );
      break;
    case 'forbidden':
    case 'not-allowed':
    case 'not-authorized':
      return new RefusedError(
        `${owner} refused to show its message archive (${condition})`,
        options,
      );
  }
  const why = typeof condition === 'string' ? condition : messageOf(error);
  return new NetworkError(`reading the message archive of ${owner} failed: ${why}`, options);
}
